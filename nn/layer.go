// Package nn holds Graft's layers, each with a hand-written Forward and
// Backward, their named parameters with a trainable flag, the losses, and a
// Graph that runs a DAG of layers (the branches and merges of ResNet and
// Inception). Tensors are NHWC float32.
package nn

import "github.com/graft-ml/graft/tensor"

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
