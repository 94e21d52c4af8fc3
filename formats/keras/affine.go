package keras

import (
	"fmt"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// Affine is a fixed per-channel affine map y = x*Scale[c] + Offset[c] on the
// last axis; Scale and Offset hold one value (shared by every channel) or one
// per channel. Keras's Rescaling and Normalization layers import as Affine.
// It learns nothing: Scale and Offset are state, saved with the weights.
type Affine struct {
	name          string
	Scale, Offset *nn.Param
	gradShape     []int
}

// NewAffine returns an Affine layer; scale and offset must have the same
// length, 1 or the channel count.
func NewAffine(name string, scale, offset []float32) (*Affine, error) {
	if len(scale) == 0 || len(scale) != len(offset) {
		return nil, fmt.Errorf("%s: %d scales and %d offsets: want the same non-zero count", name, len(scale), len(offset))
	}
	s := tensor.New(len(scale))
	copy(s.Data, scale)
	o := tensor.New(len(offset))
	copy(o.Data, offset)
	return &Affine{name: name,
		Scale:  &nn.Param{Name: "scale", Value: s},
		Offset: &nn.Param{Name: "offset", Value: o}}, nil
}

// Name returns the layer's name.
func (a *Affine) Name() string { return a.name }

// Params returns nil: the map is fixed.
func (a *Affine) Params() []*nn.Param { return nil }

// State returns the scale and the offset.
func (a *Affine) State() []*nn.Param { return []*nn.Param{a.Scale, a.Offset} }

// Release drops what Forward kept.
func (a *Affine) Release() { a.gradShape = nil }

// Forward computes x*scale + offset per channel.
func (a *Affine) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	a.gradShape = nil
	if len(inputs) != 1 || inputs[0] == nil {
		return nil, fmt.Errorf("%s: got %d inputs, want 1", a.name, len(inputs))
	}
	x := inputs[0]
	k := a.Scale.Value.Size()
	if x.Rank() < 1 || a.Offset.Value.Size() != k || (k != 1 && x.Dim(-1) != k) {
		return nil, fmt.Errorf("%s: input %v does not match %d channel constants", a.name, x.Shape, k)
	}
	y := tensor.New(x.Shape...)
	s, o := a.Scale.Value.Data, a.Offset.Value.Data
	if k == 1 {
		for i, v := range x.Data {
			y.Data[i] = v*s[0] + o[0]
		}
	} else {
		for i, v := range x.Data {
			c := i % k
			y.Data[i] = v*s[c] + o[c]
		}
	}
	if training {
		a.gradShape = append([]int(nil), x.Shape...)
	}
	return y, nil
}

// Backward returns gradOut*scale.
func (a *Affine) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	shape := a.gradShape
	a.gradShape = nil
	if shape == nil {
		return nil, fmt.Errorf("%s: Backward without a training Forward", a.name)
	}
	if gradOut == nil || !tensor.EqualShapes(gradOut.Shape, shape) {
		return nil, fmt.Errorf("%s: gradient shape does not match output %v", a.name, shape)
	}
	if !needInputGrad {
		return nil, nil
	}
	dx := tensor.New(shape...)
	s := a.Scale.Value.Data
	k := len(s)
	for i, g := range gradOut.Data {
		dx.Data[i] = g * s[i%k]
	}
	return []*tensor.Tensor{dx}, nil
}

// newScalar returns a zero tensor of shape [] (one element).
func newScalar() *tensor.Tensor { return &tensor.Tensor{Shape: []int{}, Data: make([]float32, 1)} }
