package onnx

import (
	"fmt"
	"testing"

	"github.com/graft-ml/graft/internal/gradcheck"
	"github.com/graft-ml/graft/tensor"
)

// refFlattenCHW flattens an NHWC float64 tensor as ONNX flattens the NCHW
// tensor it stands for: each sample's values in channel, row, column order.
func refFlattenCHW(x gradcheck.T64) gradcheck.T64 {
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	y := gradcheck.T64{Shape: []int{n, c * h * w}}
	for b := range n {
		for ch := range c {
			for yy := range h {
				for xx := range w {
					y.Data = append(y.Data, x.Data[((b*h+yy)*w+xx)*c+ch])
				}
			}
		}
	}
	return y
}

// flattenGrad64 is the case of the channels-first flatten of a random NHWC
// input of the given shape.
func flattenGrad64(shape ...int) gradcheck.Case {
	return gradcheck.Case{Name: fmt.Sprint(shape), Layer: &flattenCHW{name: "flatten"},
		Inputs: []*tensor.Tensor{gradcheck.Uniform(uint64(shape[1]*10+shape[3]), -1, 1, shape...)},
		Ref:    func(x []gradcheck.T64, _ [][]float64) gradcheck.T64 { return refFlattenCHW(x[0]) }}
}

// TestGrad64FlattenCHW checks the channels-first flatten's Forward and
// Backward against the float64 reference on odd sizes, one channel, a 1x1
// map and one sample: a transposition error moves values, which both
// checks see.
func TestGrad64FlattenCHW(t *testing.T) {
	gradcheck.Check(t, []gradcheck.Case{
		flattenGrad64(2, 3, 5, 4),
		flattenGrad64(3, 7, 2, 3),
		flattenGrad64(2, 4, 3, 1),
		flattenGrad64(3, 1, 1, 6),
		flattenGrad64(1, 5, 5, 2),
	})
}

// TestGrad64FlattenCHWCatchesErrors makes sure the check can fail.
func TestGrad64FlattenCHWCatchesErrors(t *testing.T) {
	gradcheck.ExpectCaught(t, func() gradcheck.Case { return flattenGrad64(2, 3, 5, 4) })
}
