// Package nn holds Graft's layers, each with a hand-written Forward and
// Backward, their named parameters with a trainable flag, the losses, and a
// Graph that runs a DAG of layers (the branches and merges of ResNet and
// Inception). Tensors are NHWC float32.
//
// Contract shared by every layer: Forward never modifies its inputs and may
// return one of them (or a view of it) as its output; Backward never modifies
// gradOut and may return it (or a view of it) as an input gradient. Callers
// that want to change a result in place must copy it first. A layer keeps
// the tensors it was given only until its Backward or Release: a Graph
// reuses their storage afterwards.
package nn

import (
	"fmt"

	"github.com/graft-ml/graft/tensor"
)

// Param is a named tensor a layer learns, with its gradient. Backward adds
// to Grad only when Trainable is true; Grad is allocated lazily.
type Param struct {
	Name      string
	Value     *tensor.Tensor
	Grad      *tensor.Tensor
	Trainable bool
}

// NewParam returns a trainable parameter holding value.
func NewParam(name string, value *tensor.Tensor) *Param {
	return &Param{Name: name, Value: value, Trainable: true}
}

// EnsureGrad allocates Grad (zeroed) if it is nil and returns it.
func (p *Param) EnsureGrad() *tensor.Tensor {
	if p.Grad == nil {
		p.Grad = tensor.New(p.Value.Shape...)
	}
	return p.Grad
}

// ZeroGrad clears the gradient, if any.
func (p *Param) ZeroGrad() {
	if p.Grad != nil {
		p.Grad.Zero()
	}
}

// Layer is one operation of a network with a hand-written backward pass.
type Layer interface {
	// Name returns the layer's name, used in error messages.
	Name() string
	// Forward computes the output. When training is true the layer keeps
	// what Backward needs; otherwise it keeps nothing.
	Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error)
	// Backward takes dLoss/dOutput, adds gradients to its trainable Params'
	// Grad, releases what Forward kept, and returns dLoss/dInput for each
	// input, or nil when needInputGrad is false.
	Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error)
	// Params returns the layer's learned parameters in a fixed order.
	Params() []*Param
}

// Stateful is implemented by layers with state that is saved with the
// weights but not learned by gradient descent, such as BatchNorm's running
// mean and variance. State's Params have Trainable false.
type Stateful interface {
	State() []*Param
}

// Freezer is implemented by layers whose behaviour changes when they are
// frozen: a frozen BatchNorm normalises with its running statistics even in
// training and stops updating them. The Graph calls SetFrozen when a node's
// trainable flag changes.
type Freezer interface {
	SetFrozen(frozen bool)
}

// Releaser is implemented by layers that keep tensors between Forward and
// Backward. Release drops them; the Graph calls it on nodes it will not run
// backward through.
type Releaser interface {
	Release()
}

// cache holds what a layer's Forward keeps for its Backward. Layers embed it,
// which gives them Release.
type cache struct {
	live   bool
	ts     []*tensor.Tensor
	idx    []int32
	shapes [][]int
}

// keep records the tensors Backward will need and marks the cache live.
func (c *cache) keep(ts ...*tensor.Tensor) {
	c.live = true
	c.ts = append(c.ts[:0], ts...)
	c.idx = nil
	c.shapes = nil
}

// Release drops every tensor kept by the last training Forward.
func (c *cache) Release() { *c = cache{} }

// holds reports whether anything is kept.
func (c *cache) holds() bool { return c.live || c.ts != nil || c.idx != nil || c.shapes != nil }

// ready returns an error naming the layer when Backward has nothing to work on.
func (c *cache) ready(layer string) error {
	if !c.live {
		return fmt.Errorf("%s: Backward called without a training Forward (or called twice)", layer)
	}
	return nil
}
