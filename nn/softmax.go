package nn

import (
	"fmt"
	"math"

	"github.com/graft-ml/graft/compute"
	"github.com/graft-ml/graft/tensor"
)

// Softmax normalises the last axis to probabilities.
type Softmax struct {
	name string
	cache
}

// NewSoftmax returns a softmax over the last axis.
func NewSoftmax(name string) *Softmax { return &Softmax{name: name} }

// Name returns the layer's name.
func (s *Softmax) Name() string { return s.name }

// Params returns nil.
func (s *Softmax) Params() []*Param { return nil }

// Forward computes exp(x - max) / Σ exp(x - max) along the last axis.
func (s *Softmax) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	s.Release()
	x, err := oneInput(s.name, inputs, 0)
	if err != nil {
		return nil, err
	}
	if x.Rank() < 1 || x.Dim(-1) < 1 {
		return nil, fmt.Errorf("%s: input %v has no last axis to normalise", s.name, x.Shape)
	}
	c := x.Dim(-1)
	y := newOutput(x.Shape...)
	compute.ParallelFor(x.Size()/c, rowGrain(c), func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			softmaxRow(x.Data[r*c:(r+1)*c], y.Data[r*c:(r+1)*c])
		}
	})
	if training {
		s.keep(y)
	}
	return y, nil
}

// softmaxRow writes softmax(x) to y, summing in float64.
func softmaxRow(x, y []float32) {
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	var sum float64
	for i, v := range x {
		e := math.Exp(float64(v - m))
		y[i] = float32(e)
		sum += e
	}
	inv := 1 / sum
	for i := range y {
		y[i] = float32(float64(y[i]) * inv)
	}
}

// Backward returns y·(dy - Σ dy·y) per row.
func (s *Softmax) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if err := s.ready(s.name); err != nil {
		return nil, err
	}
	y := s.ts[0]
	defer s.Release()
	if err := checkGradShape(s.name, gradOut, y.Shape); err != nil {
		return nil, err
	}
	if !needInputGrad {
		return nil, nil
	}
	c := y.Dim(-1)
	dx := newOutput(y.Shape...)
	compute.ParallelFor(y.Size()/c, rowGrain(c), func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			yr, dyr, dxr := y.Data[r*c:(r+1)*c], gradOut.Data[r*c:(r+1)*c], dx.Data[r*c:(r+1)*c]
			var dot float64
			for i, v := range yr {
				dot += float64(v) * float64(dyr[i])
			}
			for i, v := range yr {
				dxr[i] = v * (dyr[i] - float32(dot))
			}
		}
	})
	return []*tensor.Tensor{dx}, nil
}
