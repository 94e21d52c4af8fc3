package optim

import (
	"fmt"
	"math"

	"github.com/graft-ml/graft/nn"
)

// AdamConfig holds Adam's and AdamW's hyperparameters, with
// torch.optim.Adam's meaning.
type AdamConfig struct {
	LR          float64 `json:"lr"`
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"`
	AMSGrad     bool    `json:"amsgrad"`
}

// DefaultAdamConfig returns torch.optim.Adam's defaults at learning rate
// lr: betas (0.9, 0.999), eps 1e-8, no weight decay.
func DefaultAdamConfig(lr float64) AdamConfig {
	return AdamConfig{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// DefaultAdamWConfig returns torch.optim.AdamW's defaults at learning rate
// lr: betas (0.9, 0.999), eps 1e-8, weight decay 0.01.
func DefaultAdamWConfig(lr float64) AdamConfig {
	c := DefaultAdamConfig(lr)
	c.WeightDecay = 0.01
	return c
}

func (c AdamConfig) validate() error {
	switch {
	case !(c.Beta1 >= 0 && c.Beta1 < 1):
		return errRange("beta1", c.Beta1, "in [0, 1)")
	case !(c.Beta2 >= 0 && c.Beta2 < 1):
		return errRange("beta2", c.Beta2, "in [0, 1)")
	case !finite(c.Eps) || c.Eps < 0:
		return errRange("eps", c.Eps, "finite and non-negative")
	case !finite(c.WeightDecay) || c.WeightDecay < 0:
		return errRange("weight decay", c.WeightDecay, "finite and non-negative")
	}
	return checkLR(c.LR)
}

// Adam is the Adam optimizer (and, made by NewAdamW, AdamW), following
// torch.optim.Adam and torch.optim.AdamW. With bias corrections
// bc1 = 1-beta1^t and bc2 = 1-beta2^t:
//
//	Adam:  g = grad + weight_decay*p      AdamW:  p = p*(1 - lr*weight_decay); g = grad
//	m = beta1*m + (1-beta1)*g
//	v = beta2*v + (1-beta2)*g*g           (AMSGrad: vmax = max(vmax, v), used for v below)
//	p = p - lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
//
// eps is added after the square root and the bias correction, as in torch.
type Adam struct {
	core
	cfg       AdamConfig
	decoupled bool
}

// NewAdam returns an Adam optimizer (L2 weight decay added to the
// gradient) over the given groups.
func NewAdam(cfg AdamConfig, groups ...Group) (*Adam, error) {
	return newAdam("adam", cfg, false, groups)
}

// NewAdamW returns an AdamW optimizer (decoupled weight decay) over the
// given groups.
func NewAdamW(cfg AdamConfig, groups ...Group) (*Adam, error) {
	return newAdam("adamw", cfg, true, groups)
}

func newAdam(kind string, cfg AdamConfig, decoupled bool, groups []Group) (*Adam, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("optim: %s: %w", kind, err)
	}
	c, err := newCore(kind, cfg.LR, cfg.WeightDecay, groups)
	if err != nil {
		return nil, err
	}
	return &Adam{core: c, cfg: cfg, decoupled: decoupled}, nil
}

// Step applies one Adam (or AdamW) update.
func (o *Adam) Step() error { return o.step(o.update) }

func (o *Adam) update(p *nn.Param, st *paramState, lr, weightDecay float64) {
	w, g := p.Value.Data, p.Grad.Data
	n := len(w)
	m := st.buffer("exp_avg", n)
	v := st.buffer("exp_avg_sq", n)
	var vmax []float32
	if o.cfg.AMSGrad {
		vmax = st.buffer("max_exp_avg_sq", n)
	}
	t := float64(st.step)
	a := adamArgs{
		b1: float32(o.cfg.Beta1), ob1: float32(1 - o.cfg.Beta1),
		b2: float32(o.cfg.Beta2), ob2: float32(1 - o.cfg.Beta2),
		bc2Sqrt: float32(math.Sqrt(1 - math.Pow(o.cfg.Beta2, t))),
		eps:     float32(o.cfg.Eps),
		nStep:   float32(-(lr / (1 - math.Pow(o.cfg.Beta1, t)))),
		decay:   1,
	}
	if o.decoupled {
		a.decay = float32(1 - lr*weightDecay)
	} else {
		a.l2 = float32(weightDecay)
	}
	forChunks(n, func(s, e int) {
		var vm []float32
		if vmax != nil {
			vm = vmax[s:e]
		}
		adam(w[s:e], g[s:e], m[s:e], v[s:e], vm, a)
	})
}
