package optim

import (
	"fmt"
	"math"
)

// Schedule gives the base learning rate for step t, counted from 0. The
// unit of t (optimizer steps or epochs) is the caller's choice. A schedule
// returns a base rate; Optimizer.SetLR applies it and groups keep their
// ratios. Schedules never return a negative rate; t < 0 is treated as 0.
type Schedule interface {
	LR(t int) float64
}

// Constant is a fixed learning rate.
type Constant struct {
	Rate float64 `json:"rate"`
}

// LR returns c.Rate.
func (c Constant) LR(int) float64 { return c.Rate }

// StepDecay multiplies the rate by Gamma every StepSize steps, like
// torch.optim.lr_scheduler.StepLR: BaseLR * Gamma^floor(t/StepSize).
// StepSize <= 0 means no decay.
type StepDecay struct {
	BaseLR   float64 `json:"base_lr"`
	StepSize int     `json:"step_size"`
	Gamma    float64 `json:"gamma"`
}

// LR returns the rate for step t.
func (s StepDecay) LR(t int) float64 {
	if s.StepSize <= 0 || t <= 0 {
		return s.BaseLR
	}
	return s.BaseLR * math.Pow(s.Gamma, float64(t/s.StepSize))
}

// Exponential multiplies the rate by Gamma every step, like
// torch.optim.lr_scheduler.ExponentialLR: BaseLR * Gamma^t.
type Exponential struct {
	BaseLR float64 `json:"base_lr"`
	Gamma  float64 `json:"gamma"`
}

// LR returns the rate for step t.
func (e Exponential) LR(t int) float64 {
	return e.BaseLR * math.Pow(e.Gamma, float64(max(t, 0)))
}

// WarmupCosine rises linearly from WarmupStart*BaseLR at t = 0 to BaseLR
// at t = WarmupSteps, then follows a half cosine down to MinLR at
// t = TotalSteps (which counts the warm-up) and stays there. It matches
// torch's SequentialLR of LinearLR(start_factor=WarmupStart,
// total_iters=WarmupSteps) and CosineAnnealingLR(T_max=TotalSteps-WarmupSteps,
// eta_min=MinLR) with milestone WarmupSteps. With WarmupSteps 0 it is
// CosineAnnealingLR alone.
type WarmupCosine struct {
	BaseLR      float64 `json:"base_lr"`
	MinLR       float64 `json:"min_lr"`
	WarmupSteps int     `json:"warmup_steps"`
	WarmupStart float64 `json:"warmup_start"`
	TotalSteps  int     `json:"total_steps"`
}

// LR returns the rate for step t.
func (w WarmupCosine) LR(t int) float64 {
	t = max(t, 0)
	if t < w.WarmupSteps {
		return w.BaseLR * (w.WarmupStart + (1-w.WarmupStart)*float64(t)/float64(w.WarmupSteps))
	}
	span := w.TotalSteps - max(w.WarmupSteps, 0)
	if span <= 0 || t >= w.TotalSteps {
		return w.MinLR
	}
	x := float64(t-max(w.WarmupSteps, 0)) / float64(span)
	return w.MinLR + (w.BaseLR-w.MinLR)*(1+math.Cos(math.Pi*x))/2
}

// OneCycle is torch.optim.lr_scheduler.OneCycleLR with cosine annealing
// (two phases, no momentum cycling): from MaxLR/DivFactor up to MaxLR over
// the first PctStart of TotalSteps, then down to
// MaxLR/(DivFactor*FinalDivFactor) at t = TotalSteps-1. Zero PctStart,
// DivFactor and FinalDivFactor mean torch's defaults 0.3, 25 and 1e4.
// Steps past the end stay at the final rate.
type OneCycle struct {
	MaxLR          float64 `json:"max_lr"`
	TotalSteps     int     `json:"total_steps"`
	PctStart       float64 `json:"pct_start"`
	DivFactor      float64 `json:"div_factor"`
	FinalDivFactor float64 `json:"final_div_factor"`
}

// Validate reports settings OneCycleLR would reject.
func (o OneCycle) Validate() error {
	pct, div, final := o.params()
	switch {
	case o.TotalSteps <= 0:
		return fmt.Errorf("optim: one-cycle: total steps %d must be positive", o.TotalSteps)
	case !(pct > 0 && pct < 1):
		return fmt.Errorf("optim: one-cycle: pct_start %v must be in (0, 1)", pct)
	case !finite(div) || div <= 0 || !finite(final) || final <= 0:
		return fmt.Errorf("optim: one-cycle: div factors %v, %v must be positive", div, final)
	case !finite(o.MaxLR) || o.MaxLR < 0:
		return fmt.Errorf("optim: one-cycle: max lr %v must be finite and non-negative", o.MaxLR)
	}
	return nil
}

func (o OneCycle) params() (pct, div, final float64) {
	pct, div, final = o.PctStart, o.DivFactor, o.FinalDivFactor
	if pct == 0 {
		pct = 0.3
	}
	if div == 0 {
		div = 25
	}
	if final == 0 {
		final = 1e4
	}
	return pct, div, final
}

// LR returns the rate for step t.
func (o OneCycle) LR(t int) float64 {
	pct, div, final := o.params()
	initial := o.MaxLR / div
	minLR := initial / final
	step := float64(min(max(t, 0), max(o.TotalSteps-1, 0)))
	end1 := pct*float64(o.TotalSteps) - 1
	end2 := float64(o.TotalSteps - 1)
	if step <= end1 && end1 > 0 {
		return cosAnneal(initial, o.MaxLR, step/end1)
	}
	if end2 <= end1 {
		return minLR
	}
	return cosAnneal(o.MaxLR, minLR, (step-end1)/(end2-end1))
}

// cosAnneal goes from start (pct 0) to end (pct 1) along a half cosine,
// with torch's exact arithmetic.
func cosAnneal(start, end, pct float64) float64 {
	return end + (start-end)/2.0*(math.Cos(math.Pi*pct)+1)
}
