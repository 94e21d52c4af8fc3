package nn

import (
	"github.com/graft-ml/graft/compute"
	"github.com/graft-ml/graft/tensor"
)

// GlobalPool reduces each image [H, W, C] to [C] (or [1, 1, C] with
// KeepDims) by its mean or its maximum.
type GlobalPool struct {
	name     string
	max      bool
	keepDims bool
	cache
}

// NewGlobalAvgPool returns a global average pooling layer.
func NewGlobalAvgPool(name string, keepDims bool) *GlobalPool {
	return &GlobalPool{name: name, keepDims: keepDims}
}

// NewGlobalMaxPool returns a global max pooling layer.
func NewGlobalMaxPool(name string, keepDims bool) *GlobalPool {
	return &GlobalPool{name: name, max: true, keepDims: keepDims}
}

// Name returns the layer's name.
func (l *GlobalPool) Name() string { return l.name }

// Params returns nil.
func (l *GlobalPool) Params() []*Param { return nil }

func (l *GlobalPool) outShape(n, c int) []int {
	if l.keepDims {
		return []int{n, 1, 1, c}
	}
	return []int{n, c}
}

// Forward pools each image of the NHWC input.
func (l *GlobalPool) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	l.Release()
	x, err := oneInput(l.name, inputs, 4)
	if err != nil {
		return nil, err
	}
	n, hw, c := x.Shape[0], x.Shape[1]*x.Shape[2], x.Shape[3]
	y := newOutput(l.outShape(n, c)...)
	var argmax []int32
	if l.max {
		argmax = make([]int32, n*c)
		compute.GlobalMaxPool(n, hw, c, x.Data, y.Data, argmax)
	} else {
		compute.GlobalAvgPool(n, hw, c, x.Data, y.Data)
	}
	if training {
		l.live = true
		l.idx = argmax
		l.shapes = [][]int{append([]int(nil), x.Shape...)}
	}
	return y, nil
}

// Backward spreads (average) or routes (maximum) each gradient.
func (l *GlobalPool) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if err := l.ready(l.name); err != nil {
		return nil, err
	}
	in, argmax := l.shapes[0], l.idx
	defer l.Release()
	n, hw, c := in[0], in[1]*in[2], in[3]
	if err := checkGradShape(l.name, gradOut, l.outShape(n, c)); err != nil {
		return nil, err
	}
	if !needInputGrad {
		return nil, nil
	}
	dx := newOutput(in...)
	if l.max {
		compute.GlobalMaxPoolBackward(n, hw, c, gradOut.Data, argmax, dx.Data)
	} else {
		compute.GlobalAvgPoolBackward(n, hw, c, gradOut.Data, dx.Data)
	}
	return []*tensor.Tensor{dx}, nil
}
