package zoo

import (
	"fmt"
	"math"
	"testing"

	"github.com/graft-ml/graft/internal/gradcheck"
	"github.com/graft-ml/graft/tensor"
)

// refAdaptiveAvg is PyTorch's AdaptiveAvgPool2d on an NHWC float64 tensor,
// written from its definition: output row i averages input rows
// floor(i*H/OH) to ceil((i+1)*H/OH) (exclusive), and columns likewise.
func refAdaptiveAvg(x gradcheck.T64, oh, ow int) gradcheck.T64 {
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	bin := func(i, in, out int) (int, int) {
		return int(math.Floor(float64(i*in) / float64(out))), int(math.Ceil(float64((i+1)*in) / float64(out)))
	}
	y := gradcheck.New64(n, oh, ow, c)
	for b := range n {
		for i := range oh {
			y0, y1 := bin(i, h, oh)
			for j := range ow {
				x0, x1 := bin(j, w, ow)
				for ch := range c {
					var s float64
					for yy := y0; yy < y1; yy++ {
						for xx := x0; xx < x1; xx++ {
							s += x.Data[((b*h+yy)*w+xx)*c+ch]
						}
					}
					y.Data[((b*oh+i)*ow+j)*c+ch] = s / float64((y1-y0)*(x1-x0))
				}
			}
		}
	}
	return y
}

// adaptiveGrad64 is the case of an adaptiveAvgPool pooling input shape in
// to oh x ow.
func adaptiveGrad64(in []int, oh, ow int, seed uint64) gradcheck.Case {
	return gradcheck.Case{
		Name:   fmt.Sprintf("%dx%d_to_%dx%d", in[1], in[2], oh, ow),
		Layer:  newAdaptiveAvgPool("pool", oh, ow),
		Inputs: []*tensor.Tensor{gradcheck.Uniform(seed, -1, 1, in...)},
		Ref:    func(x []gradcheck.T64, _ [][]float64) gradcheck.T64 { return refAdaptiveAvg(x[0], oh, ow) },
	}
}

// TestGrad64AdaptiveAvgPool checks the float32 Forward and Backward against
// the float64 reference on uneven, overlapping bins (7 rows into 3: rows
// 0-2, 2-4, 4-6), upsampling (every output cell one input pixel, some
// pixels in several cells), the identity and global pooling.
func TestGrad64AdaptiveAvgPool(t *testing.T) {
	gradcheck.Check(t, []gradcheck.Case{
		adaptiveGrad64([]int{2, 7, 5, 3}, 3, 2, 1),
		adaptiveGrad64([]int{2, 5, 9, 3}, 2, 4, 2),
		adaptiveGrad64([]int{1, 7, 7, 2}, 7, 3, 3),
		adaptiveGrad64([]int{2, 3, 2, 3}, 5, 4, 4),
		adaptiveGrad64([]int{3, 4, 4, 1}, 4, 4, 5),
		adaptiveGrad64([]int{2, 6, 5, 4}, 1, 1, 6),
	})
}

// TestGrad64AdaptiveAvgPoolCatchesErrors makes sure the check can fail.
func TestGrad64AdaptiveAvgPoolCatchesErrors(t *testing.T) {
	gradcheck.ExpectCaught(t, func() gradcheck.Case { return adaptiveGrad64([]int{2, 7, 5, 3}, 3, 2, 1) })
}
