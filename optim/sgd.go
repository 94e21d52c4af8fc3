package optim

import (
	"fmt"

	"github.com/graft-ml/graft/nn"
)

// SGDConfig holds stochastic gradient descent's hyperparameters, with
// torch.optim.SGD's meaning.
type SGDConfig struct {
	LR          float64 `json:"lr"`
	Momentum    float64 `json:"momentum"`
	Dampening   float64 `json:"dampening"`
	Nesterov    bool    `json:"nesterov"`
	WeightDecay float64 `json:"weight_decay"`
}

func (c SGDConfig) validate() error {
	switch {
	case !finite(c.Momentum) || c.Momentum < 0:
		return errRange("momentum", c.Momentum, "finite and non-negative")
	case !finite(c.Dampening):
		return errRange("dampening", c.Dampening, "finite")
	case !finite(c.WeightDecay) || c.WeightDecay < 0:
		return errRange("weight decay", c.WeightDecay, "finite and non-negative")
	case c.Nesterov && (c.Momentum <= 0 || c.Dampening != 0):
		return fmt.Errorf("nesterov needs momentum > 0 and dampening 0 (have %v, %v)", c.Momentum, c.Dampening)
	}
	return checkLR(c.LR)
}

// SGD is stochastic gradient descent with optional momentum, dampening,
// Nesterov momentum and L2 weight decay, following torch.optim.SGD:
//
//	g = grad + weight_decay*p
//	buf = g                                  (first step)
//	buf = momentum*buf + (1-dampening)*g     (later steps)
//	g = g + momentum*buf  (Nesterov)  or  g = buf
//	p = p - lr*g
type SGD struct {
	core
	cfg SGDConfig
}

// NewSGD returns an SGD optimizer over the given groups.
func NewSGD(cfg SGDConfig, groups ...Group) (*SGD, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("optim: sgd: %w", err)
	}
	c, err := newCore("sgd", cfg.LR, cfg.WeightDecay, groups)
	if err != nil {
		return nil, err
	}
	return &SGD{core: c, cfg: cfg}, nil
}

// Step applies one SGD update.
func (o *SGD) Step() error { return o.step(o.update) }

func (o *SGD) update(p *nn.Param, st *paramState, lr, weightDecay float64) {
	w, g := p.Value.Data, p.Grad.Data
	wd, nlr := float32(weightDecay), float32(-lr)
	if o.cfg.Momentum == 0 {
		forChunks(len(w), func(s, e int) { sgdPlain(w[s:e], g[s:e], wd, nlr) })
		return
	}
	buf, ok := st.bufs["momentum_buffer"]
	first := !ok || len(buf) != len(w)
	if first {
		buf = make([]float32, len(w))
		st.bufs["momentum_buffer"] = buf
	}
	mom, keep := float32(o.cfg.Momentum), float32(1-o.cfg.Dampening)
	forChunks(len(w), func(s, e int) {
		sgdMomentum(w[s:e], g[s:e], buf[s:e], wd, mom, keep, nlr, o.cfg.Nesterov, first)
	})
}
