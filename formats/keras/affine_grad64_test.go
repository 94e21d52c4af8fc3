package keras

import (
	"fmt"
	"testing"

	"github.com/graft-ml/graft/internal/gradcheck"
	"github.com/graft-ml/graft/tensor"
)

// affineGrad64 is the case of Affine with the given scale and offset (one
// value for every channel, or one per channel) on a random input of the
// given shape. Scale and offset are described to the checker as untrainable
// parameters: the reference reads them, and Backward must leave their
// gradients empty.
func affineGrad64(t *testing.T, scale, offset []float32, shape ...int) gradcheck.Case {
	t.Helper()
	name := fmt.Sprintf("%v_constants%d", shape, len(scale))
	a, err := NewAffine(name, scale, offset)
	if err != nil {
		t.Fatal(err)
	}
	return gradcheck.Case{Name: name, Layer: a,
		Inputs: []*tensor.Tensor{gradcheck.Uniform(uint64(shape[0]*10+len(scale)), -2, 2, shape...)},
		Params: []gradcheck.Param{{Name: "scale", Value: a.Scale.Value, Grad: &a.Scale.Grad},
			{Name: "offset", Value: a.Offset.Value, Grad: &a.Offset.Grad}},
		Ref: func(x []gradcheck.T64, p [][]float64) gradcheck.T64 {
			y := gradcheck.New64(x[0].Shape...)
			c := x[0].Shape[len(x[0].Shape)-1]
			for i, v := range x[0].Data {
				k := (i % c) % len(p[0]) // channel i%c, or the shared value
				y.Data[i] = v*p[0][k] + p[1][k]
			}
			return y
		}}
}

// TestGrad64Affine checks Affine's Forward and Backward against the float64
// reference with per-channel and broadcast constants (Rescaling's 1/127.5,
// Normalization's per-channel mean and variance) on NHWC, rank-3 and
// [N, C] inputs.
func TestGrad64Affine(t *testing.T) {
	perChannel := []float32{1 / 0.229, 1 / 0.224, -1 / 0.225, 0.5, 2}
	offsets := []float32{-0.485, -0.456, 0.406, 1, -0.25}
	gradcheck.Check(t, []gradcheck.Case{
		affineGrad64(t, perChannel[:3], offsets[:3], 2, 5, 3, 3),
		affineGrad64(t, perChannel, offsets, 3, 5),
		affineGrad64(t, []float32{1 / 127.5}, []float32{-1}, 2, 3, 5, 3),
		affineGrad64(t, []float32{-0.75}, []float32{0.3}, 3, 2, 7),
		affineGrad64(t, perChannel[:1], offsets[:1], 4, 1),
	})
}

// TestGrad64AffineCatchesErrors makes sure the check can fail.
func TestGrad64AffineCatchesErrors(t *testing.T) {
	gradcheck.ExpectCaught(t, func() gradcheck.Case {
		return affineGrad64(t, []float32{1 / 0.229, 1 / 0.224, -1 / 0.225}, []float32{-0.485, -0.456, 0.406}, 2, 5, 3, 3)
	})
}
