package optim

import (
	"fmt"
	"math"

	"github.com/graft-ml/graft/compute"
	"github.com/graft-ml/graft/nn"
)

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update to every trainable parameter that has a
	// gradient. On error no parameter or state has changed.
	Step() error
	// ZeroGrad clears the gradients of all parameters the optimizer holds.
	ZeroGrad()
	// LR returns the base learning rate.
	LR() float64
	// SetLR sets the base learning rate; each group runs at the base rate
	// times its LRScale.
	SetLR(lr float64) error
	// GroupLRs returns the learning rate each group runs at now.
	GroupLRs() []float64
	// Steps returns how many times Step has succeeded (restored by LoadState).
	Steps() int64
	// AddGroup adds a parameter group, as torch's add_param_group does
	// (e.g. the base network's parameters when fine-tuning starts).
	AddGroup(g Group) error
	// State serialises the optimizer's hyperparameters, group rates and
	// per-parameter state (step counts, moment buffers keyed by parameter
	// name) to bytes that LoadState reads back exactly.
	State() ([]byte, error)
	// LoadState replaces the optimizer's state with one written by State,
	// restoring hyperparameters and group rates as torch's
	// load_state_dict does. It validates every parameter name and shape
	// and, on error, leaves the optimizer unchanged.
	LoadState(data []byte) error
}

// Group is a set of parameters that share a learning-rate ratio and a
// weight decay.
type Group struct {
	// Params are the parameters of the group. Names must be unique across
	// all groups of one optimizer.
	Params []*nn.Param
	// LRScale multiplies the optimizer's base learning rate for this
	// group; zero means 1.
	LRScale float64
	// WeightDecay overrides the optimizer's weight decay for this group
	// when non-nil.
	WeightDecay *float64
}

// WeightDecay returns a pointer to v, for Group.WeightDecay.
func WeightDecay(v float64) *float64 { return &v }

// group is a validated Group with its weight decay resolved.
type group struct {
	params      []*nn.Param
	lrScale     float64
	weightDecay float64
}

// paramState is what an optimizer remembers about one parameter.
type paramState struct {
	step int64
	bufs map[string][]float32
}

// buffer returns the named buffer, creating a zeroed one of n elements if
// it is missing.
func (s *paramState) buffer(name string, n int) []float32 {
	b, ok := s.bufs[name]
	if !ok || len(b) != n {
		b = make([]float32, n)
		s.bufs[name] = b
	}
	return b
}

// core is the bookkeeping every optimizer shares: base rate, groups,
// per-parameter state and the global step count.
type core struct {
	kind        string
	lr          float64
	weightDecay float64 // default for groups without their own
	steps       int64
	groups      []group
	state       map[string]*paramState
}

// newCore validates the groups and resolves their weight decay.
func newCore(kind string, lr, weightDecay float64, groups []Group) (core, error) {
	c := core{kind: kind, weightDecay: weightDecay, state: map[string]*paramState{}}
	if err := checkLR(lr); err != nil {
		return c, fmt.Errorf("optim: %s: %w", kind, err)
	}
	c.lr = lr
	if len(groups) == 0 {
		return c, fmt.Errorf("optim: %s: no parameter groups", kind)
	}
	for _, g := range groups {
		if err := c.AddGroup(g); err != nil {
			return c, err
		}
	}
	return c, nil
}

// AddGroup validates g and appends it; on error nothing changes.
func (c *core) AddGroup(g Group) error {
	gi := len(c.groups)
	scale := g.LRScale
	if scale == 0 {
		scale = 1
	}
	if !finite(scale) || scale < 0 {
		return fmt.Errorf("optim: %s: group %d: LRScale %v must be finite and positive", c.kind, gi, g.LRScale)
	}
	wd := c.weightDecay
	if g.WeightDecay != nil {
		wd = *g.WeightDecay
	}
	if !finite(wd) || wd < 0 {
		return fmt.Errorf("optim: %s: group %d: weight decay %v must be finite and non-negative", c.kind, gi, wd)
	}
	seen := map[string]int{}
	for i, og := range c.groups {
		for _, p := range og.params {
			seen[p.Name] = i
		}
	}
	for pi, p := range g.Params {
		if p == nil || p.Value == nil {
			return fmt.Errorf("optim: %s: group %d: parameter %d has no value", c.kind, gi, pi)
		}
		if prev, dup := seen[p.Name]; dup {
			return fmt.Errorf("optim: %s: parameter %q appears twice (groups %d and %d)", c.kind, p.Name, prev, gi)
		}
		seen[p.Name] = gi
	}
	c.groups = append(c.groups, group{params: append([]*nn.Param(nil), g.Params...), lrScale: scale, weightDecay: wd})
	return nil
}

// LR returns the base learning rate.
func (c *core) LR() float64 { return c.lr }

// SetLR sets the base learning rate.
func (c *core) SetLR(lr float64) error {
	if err := checkLR(lr); err != nil {
		return fmt.Errorf("optim: %s: %w", c.kind, err)
	}
	c.lr = lr
	return nil
}

// GroupLRs returns each group's current learning rate.
func (c *core) GroupLRs() []float64 {
	out := make([]float64, len(c.groups))
	for i, g := range c.groups {
		out[i] = c.lr * g.lrScale
	}
	return out
}

// Steps returns the number of successful Step calls.
func (c *core) Steps() int64 { return c.steps }

// ZeroGrad clears every held parameter's gradient.
func (c *core) ZeroGrad() {
	for _, g := range c.groups {
		for _, p := range g.params {
			p.ZeroGrad()
		}
	}
}

// update is one optimizer's rule for one parameter: value, gradient, its
// state (step already incremented), the group's rate and weight decay.
type update func(p *nn.Param, st *paramState, lr, weightDecay float64)

// step checks every gradient first, then applies fn to each trainable
// parameter with a gradient, so an error changes nothing.
func (c *core) step(fn update) error {
	for _, g := range c.groups {
		for _, p := range g.params {
			if !p.Trainable || p.Grad == nil {
				continue
			}
			if len(p.Grad.Data) != len(p.Value.Data) {
				return fmt.Errorf("optim: %s: parameter %q: gradient has %d elements, value has %d",
					c.kind, p.Name, len(p.Grad.Data), len(p.Value.Data))
			}
		}
	}
	for _, g := range c.groups {
		lr := c.lr * g.lrScale
		for _, p := range g.params {
			if !p.Trainable || p.Grad == nil {
				continue
			}
			st := c.state[p.Name]
			if st == nil {
				st = &paramState{bufs: map[string][]float32{}}
				c.state[p.Name] = st
			}
			st.step++
			fn(p, st, lr, g.weightDecay)
		}
	}
	c.steps++
	return nil
}

// checkLR rejects negative and non-finite learning rates.
func checkLR(lr float64) error {
	if !finite(lr) || lr < 0 {
		return fmt.Errorf("learning rate %v must be finite and non-negative", lr)
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// errRange reports a hyperparameter outside its range.
func errRange(name string, v float64, want string) error {
	return fmt.Errorf("%s %v must be %s", name, v, want)
}

// grain is the number of elements below which an update runs on one
// goroutine; optimizer updates are memory-bound, so only large tensors gain.
const grain = 1 << 15

// forChunks runs fn over [0, n) in parallel chunks.
func forChunks(n int, fn func(start, end int)) { compute.ParallelFor(n, grain, fn) }
