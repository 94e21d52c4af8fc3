package onnx

import (
	"fmt"
	"testing"

	"github.com/graft-ml/graft/internal/gradcheck"
	"github.com/graft-ml/graft/tensor"
)

// affineGrad64 is the channelAffine case of x*scale + shift over the last axis of a
// random input of the given shape, scale and shift each broadcast from one
// value or given per channel; the reference indexes them separately.
func affineGrad64(scale, shift []float32, shape ...int) gradcheck.Case {
	name := fmt.Sprintf("%v_scale%d_shift%d", shape, len(scale), len(shift))
	at := func(v []float32, ch int) float64 {
		if len(v) == 1 {
			return float64(v[0])
		}
		return float64(v[ch])
	}
	return gradcheck.Case{Name: name, Layer: newChannelAffine(name, scale, shift),
		Inputs: []*tensor.Tensor{gradcheck.Uniform(uint64(len(scale)+7*len(shift)), -2, 2, shape...)},
		Ref: func(x []gradcheck.T64, _ [][]float64) gradcheck.T64 {
			y := gradcheck.New64(x[0].Shape...)
			c := x[0].Shape[len(x[0].Shape)-1]
			for i, v := range x[0].Data {
				y.Data[i] = v*at(scale, i%c) + at(shift, i%c)
			}
			return y
		}}
}

// TestGrad64ChannelAffine checks the constant affine map's Forward and
// Backward against the float64 reference with per-channel and broadcast
// constants in every combination, on NHWC, rank-3 and [N, C] inputs.
func TestGrad64ChannelAffine(t *testing.T) {
	perChannel := []float32{0.5, -1.25, 2, 0.75, -0.3}
	shifts := []float32{0.1, -0.2, 0.3, 1, -2}
	gradcheck.Check(t, []gradcheck.Case{
		affineGrad64(perChannel, shifts, 2, 3, 5, 5),
		affineGrad64(perChannel, []float32{-0.45}, 2, 5, 3, 5),
		affineGrad64([]float32{-1.7}, shifts, 3, 5),
		affineGrad64([]float32{0.0078125}, []float32{-1}, 2, 7, 3, 3),
		affineGrad64(perChannel[:3], shifts[:3], 2, 4, 3),
		affineGrad64([]float32{3}, []float32{0.5}, 4, 1),
	})
}

// TestGrad64ChannelAffineCatchesErrors makes sure the check can fail.
func TestGrad64ChannelAffineCatchesErrors(t *testing.T) {
	gradcheck.ExpectCaught(t, func() gradcheck.Case {
		return affineGrad64([]float32{0.5, -1.25, 2}, []float32{-0.45}, 2, 3, 5, 3)
	})
}
