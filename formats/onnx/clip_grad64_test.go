package onnx

import (
	"math"
	"testing"

	"github.com/graft-ml/graft/internal/gradcheck"
	"github.com/graft-ml/graft/tensor"
)

// clipGrad64 is the case of Clip to [lo, hi] on x, checked against
// min(max(x, lo), hi) in float64.
func clipGrad64(name string, lo, hi float32, x *tensor.Tensor) gradcheck.Case {
	return gradcheck.Case{Name: name, Layer: &clipLayer{name: name, Min: lo, Max: hi}, Inputs: []*tensor.Tensor{x},
		Ref: func(x []gradcheck.T64, _ [][]float64) gradcheck.T64 {
			y := gradcheck.New64(x[0].Shape...)
			for i, v := range x[0].Data {
				y.Data[i] = math.Min(math.Max(v, float64(lo)), float64(hi))
			}
			return y
		}}
}

// TestGrad64Clip checks Clip's float32 Forward and Backward against the
// float64 reference with both bounds, one bound, an interval below zero
// and equal bounds. Inputs stay 0.05 away from the bounds, where the
// function has kinks, so no difference step crosses one; about half of
// them lie outside, where the gradient is zero.
func TestGrad64Clip(t *testing.T) {
	inf := float32(math.Inf(1))
	const gap = 0.05
	cases := []gradcheck.Case{
		clipGrad64("both_bounds", -0.5, 0.75, gradcheck.Avoiding(1, -2, 2, []float64{-0.5, 0.75}, gap, 2, 3, 5, 3)),
		clipGrad64("max_only", -inf, 0.3, gradcheck.Avoiding(2, -2, 2, []float64{0.3}, gap, 4, 7)),
		clipGrad64("min_only", -1, inf, gradcheck.Avoiding(3, -3, 2, []float64{-1}, gap, 3, 2, 5)),
		clipGrad64("negative_interval", -3, -1, gradcheck.Avoiding(4, -4, 1, []float64{-3, -1}, gap, 2, 5, 3, 2)),
		clipGrad64("equal_bounds", 0.25, 0.25, gradcheck.Avoiding(5, -1, 1, []float64{0.25}, gap, 2, 9)),
		clipGrad64("unbounded", -inf, inf, gradcheck.Uniform(6, -5, 5, 3, 4)),
	}
	// Every case with an interval must clip some inputs and pass others.
	for _, c := range cases[:4] {
		l := c.Layer.(*clipLayer)
		var in, out int
		for _, v := range c.Inputs[0].Data {
			if v > l.Min && v < l.Max {
				in++
			} else {
				out++
			}
		}
		if in == 0 || out == 0 {
			t.Errorf("%s: %d inputs inside [%g, %g], %d outside: want both", c.Name, in, l.Min, l.Max, out)
		}
	}
	gradcheck.Check(t, cases)
}

// TestGrad64ClipCatchesErrors makes sure the check can fail.
func TestGrad64ClipCatchesErrors(t *testing.T) {
	gradcheck.ExpectCaught(t, func() gradcheck.Case {
		return clipGrad64("both_bounds", -0.5, 0.75, gradcheck.Avoiding(1, -2, 2, []float64{-0.5, 0.75}, 0.05, 2, 3, 5, 3))
	})
}
