package optim

import (
	"fmt"

	"github.com/graft-ml/graft/nn"
)

// RMSpropConfig holds RMSprop's hyperparameters, with torch.optim.RMSprop's
// meaning.
type RMSpropConfig struct {
	LR          float64 `json:"lr"`
	Alpha       float64 `json:"alpha"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"`
	Momentum    float64 `json:"momentum"`
	Centered    bool    `json:"centered"`
}

// DefaultRMSpropConfig returns torch.optim.RMSprop's defaults at learning
// rate lr: alpha 0.99, eps 1e-8, no momentum, not centered.
func DefaultRMSpropConfig(lr float64) RMSpropConfig {
	return RMSpropConfig{LR: lr, Alpha: 0.99, Eps: 1e-8}
}

func (c RMSpropConfig) validate() error {
	switch {
	case !(c.Alpha >= 0 && c.Alpha <= 1):
		return errRange("alpha", c.Alpha, "in [0, 1]")
	case !finite(c.Eps) || c.Eps < 0:
		return errRange("eps", c.Eps, "finite and non-negative")
	case !finite(c.WeightDecay) || c.WeightDecay < 0:
		return errRange("weight decay", c.WeightDecay, "finite and non-negative")
	case !finite(c.Momentum) || c.Momentum < 0:
		return errRange("momentum", c.Momentum, "finite and non-negative")
	}
	return checkLR(c.LR)
}

// RMSprop follows torch.optim.RMSprop:
//
//	g = grad + weight_decay*p
//	sq = alpha*sq + (1-alpha)*g*g
//	avg = sqrt(sq) + eps                     (centered: ga = alpha*ga + (1-alpha)*g; avg = sqrt(sq - ga*ga) + eps)
//	buf = momentum*buf + g/avg; p = p - lr*buf   (momentum > 0)
//	p = p - lr*g/avg                             (otherwise)
//
// eps is added outside the square root, as PyTorch does. Keras and
// TensorFlow add it inside (sqrt(sq + eps)) and default eps to 1e-7, so a
// Keras recipe's eps is not interchangeable with this one when the
// squared-gradient average is tiny.
type RMSprop struct {
	core
	cfg RMSpropConfig
}

// NewRMSprop returns an RMSprop optimizer over the given groups.
func NewRMSprop(cfg RMSpropConfig, groups ...Group) (*RMSprop, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("optim: rmsprop: %w", err)
	}
	c, err := newCore("rmsprop", cfg.LR, cfg.WeightDecay, groups)
	if err != nil {
		return nil, err
	}
	return &RMSprop{core: c, cfg: cfg}, nil
}

// Step applies one RMSprop update.
func (o *RMSprop) Step() error { return o.step(o.update) }

func (o *RMSprop) update(p *nn.Param, st *paramState, lr, weightDecay float64) {
	w, g := p.Value.Data, p.Grad.Data
	n := len(w)
	sq := st.buffer("square_avg", n)
	var ga, buf []float32
	if o.cfg.Centered {
		ga = st.buffer("grad_avg", n)
	}
	if o.cfg.Momentum > 0 {
		buf = st.buffer("momentum_buffer", n)
	}
	r := rmspropArgs{a: float32(o.cfg.Alpha), oa: float32(1 - o.cfg.Alpha), eps: float32(o.cfg.Eps),
		wd: float32(weightDecay), mom: float32(o.cfg.Momentum), nlr: float32(-lr)}
	forChunks(n, func(s, e int) {
		var gas, bufs []float32
		if ga != nil {
			gas = ga[s:e]
		}
		if buf != nil {
			bufs = buf[s:e]
		}
		rmsprop(w[s:e], g[s:e], sq[s:e], gas, bufs, r)
	})
}
