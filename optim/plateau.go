package optim

import (
	"encoding/json"
	"fmt"
	"math"
)

// PlateauConfig holds torch.optim.lr_scheduler.ReduceLROnPlateau's
// settings.
type PlateauConfig struct {
	// Mode is "min" (lower metric is better, e.g. loss) or "max".
	Mode string `json:"mode"`
	// Factor multiplies the rate on a plateau; in (0, 1).
	Factor float64 `json:"factor"`
	// Patience is how many epochs without improvement are tolerated.
	Patience int `json:"patience"`
	// Threshold is the least change that counts as an improvement.
	Threshold float64 `json:"threshold"`
	// ThresholdMode is "rel" (relative to the best) or "abs".
	ThresholdMode string `json:"threshold_mode"`
	// Cooldown is how many epochs to wait after a reduction before
	// counting bad epochs again.
	Cooldown int `json:"cooldown"`
	// MinLR is the floor for the base rate.
	MinLR float64 `json:"min_lr"`
	// Eps is the smallest reduction applied; smaller ones are skipped.
	Eps float64 `json:"eps"`
}

// DefaultPlateauConfig returns torch's defaults: mode min, factor 0.1,
// patience 10, threshold 1e-4 relative, no cooldown, min_lr 0, eps 1e-8.
func DefaultPlateauConfig() PlateauConfig {
	return PlateauConfig{Mode: "min", Factor: 0.1, Patience: 10, Threshold: 1e-4, ThresholdMode: "rel", Eps: 1e-8}
}

func (c PlateauConfig) validate() error {
	switch {
	case c.Mode != "min" && c.Mode != "max":
		return fmt.Errorf("mode %q must be min or max", c.Mode)
	case c.ThresholdMode != "rel" && c.ThresholdMode != "abs":
		return fmt.Errorf("threshold mode %q must be rel or abs", c.ThresholdMode)
	case !(c.Factor > 0 && c.Factor < 1):
		return errRange("factor", c.Factor, "in (0, 1)")
	case c.Patience < 0 || c.Cooldown < 0:
		return fmt.Errorf("patience %d and cooldown %d must be non-negative", c.Patience, c.Cooldown)
	case !finite(c.Threshold) || c.Threshold < 0:
		return errRange("threshold", c.Threshold, "finite and non-negative")
	case !finite(c.MinLR) || c.MinLR < 0:
		return errRange("min lr", c.MinLR, "finite and non-negative")
	case !finite(c.Eps) || c.Eps < 0:
		return errRange("eps", c.Eps, "finite and non-negative")
	}
	return nil
}

// ReduceOnPlateau lowers the base learning rate when a metric stops
// improving, with torch's ReduceLROnPlateau semantics. MinLR bounds the
// base rate, so groups keep their ratios (torch bounds each group's rate
// separately). It is a Schedule whose LR ignores t: the rate changes only
// through Observe, called once per epoch with the monitored metric.
type ReduceOnPlateau struct {
	cfg       PlateauConfig
	lr        float64
	best      float64
	badEpochs int
	cooldown  int
	epochs    int
}

// NewReduceOnPlateau returns a plateau schedule starting at rate lr.
func NewReduceOnPlateau(lr float64, cfg PlateauConfig) (*ReduceOnPlateau, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("optim: reduce-on-plateau: %w", err)
	}
	if err := checkLR(lr); err != nil {
		return nil, fmt.Errorf("optim: reduce-on-plateau: %w", err)
	}
	r := &ReduceOnPlateau{cfg: cfg, lr: lr, best: math.Inf(1)}
	if cfg.Mode == "max" {
		r.best = math.Inf(-1)
	}
	return r, nil
}

// LR returns the current base rate.
func (r *ReduceOnPlateau) LR(int) float64 { return r.lr }

// Observe records one epoch's metric and returns the (possibly reduced)
// base rate and whether it was reduced now. A NaN metric never counts as
// an improvement.
func (r *ReduceOnPlateau) Observe(metric float64) (lr float64, reduced bool) {
	r.epochs++
	if r.better(metric) {
		r.best = metric
		r.badEpochs = 0
	} else {
		r.badEpochs++
	}
	if r.cooldown > 0 {
		r.cooldown--
		r.badEpochs = 0
	}
	if r.badEpochs > r.cfg.Patience {
		next := max(r.lr*r.cfg.Factor, r.cfg.MinLR)
		if r.lr-next > r.cfg.Eps {
			r.lr = next
			reduced = true
		}
		r.cooldown = r.cfg.Cooldown
		r.badEpochs = 0
	}
	return r.lr, reduced
}

func (r *ReduceOnPlateau) better(a float64) bool {
	th := r.cfg.Threshold
	switch {
	case r.cfg.Mode == "min" && r.cfg.ThresholdMode == "rel":
		return a < r.best*(1-th)
	case r.cfg.Mode == "min":
		return a < r.best-th
	case r.cfg.ThresholdMode == "rel":
		return a > r.best*(th+1)
	default:
		return a > r.best+th
	}
}

// plateauState is ReduceOnPlateau's serialised form. best is stored as
// its IEEE bits because it starts at ±Inf, which JSON cannot hold.
type plateauState struct {
	Config    PlateauConfig `json:"config"`
	LR        float64       `json:"lr"`
	BestBits  uint64        `json:"best_bits"`
	BadEpochs int           `json:"bad_epochs"`
	Cooldown  int           `json:"cooldown_counter"`
	Epochs    int           `json:"epochs"`
}

// MarshalJSON encodes the schedule's settings and progress exactly.
func (r *ReduceOnPlateau) MarshalJSON() ([]byte, error) {
	return json.Marshal(plateauState{Config: r.cfg, LR: r.lr, BestBits: math.Float64bits(r.best),
		BadEpochs: r.badEpochs, Cooldown: r.cooldown, Epochs: r.epochs})
}

// UnmarshalJSON restores what MarshalJSON wrote, validating it; on error r
// is unchanged.
func (r *ReduceOnPlateau) UnmarshalJSON(data []byte) error {
	var s plateauState
	if err := strictJSON(data, &s); err != nil {
		return fmt.Errorf("optim: reduce-on-plateau state: %w", err)
	}
	if err := s.Config.validate(); err != nil {
		return fmt.Errorf("optim: reduce-on-plateau state: %w", err)
	}
	if err := checkLR(s.LR); err != nil {
		return fmt.Errorf("optim: reduce-on-plateau state: %w", err)
	}
	if s.BadEpochs < 0 || s.Cooldown < 0 || s.Epochs < 0 {
		return fmt.Errorf("optim: reduce-on-plateau state: negative counter")
	}
	*r = ReduceOnPlateau{cfg: s.Config, lr: s.LR, best: math.Float64frombits(s.BestBits),
		badEpochs: s.BadEpochs, cooldown: s.Cooldown, epochs: s.Epochs}
	return nil
}
