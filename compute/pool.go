package compute

import (
	"fmt"
	"math"
)

// PoolParams describes a 2-D max or average pooling window sliding over an
// NHWC input; pooling runs on each channel separately. CountIncludePad
// chooses an average's divisor where the window overlaps padding: true
// divides by KH*KW (PyTorch's default), false by the number of input pixels
// under the window (TensorFlow and Keras "same"). Max pooling ignores padding.
type PoolParams struct {
	Batch, InH, InW, C int
	KH, KW             int
	StrideH, StrideW   int
	PadTop, PadBottom  int
	PadLeft, PadRight  int
	CountIncludePad    bool
}

// OutH returns the output height.
func (p PoolParams) OutH() int { return (p.InH+p.PadTop+p.PadBottom-p.KH)/p.StrideH + 1 }

// OutW returns the output width.
func (p PoolParams) OutW() int { return (p.InW+p.PadLeft+p.PadRight-p.KW)/p.StrideW + 1 }

// Validate reports a parameter set the kernels cannot run. Padding must be
// smaller than the window, so that every window covers an input pixel.
func (p PoolParams) Validate() error {
	switch {
	case p.Batch < 1 || p.InH < 1 || p.InW < 1 || p.C < 1:
		return fmt.Errorf("pool: input %dx%dx%dx%d: every size must be positive", p.Batch, p.InH, p.InW, p.C)
	case p.KH < 1 || p.KW < 1:
		return fmt.Errorf("pool: window %dx%d: sizes must be positive", p.KH, p.KW)
	case p.StrideH < 1 || p.StrideW < 1:
		return fmt.Errorf("pool: stride %dx%d: must be positive", p.StrideH, p.StrideW)
	case p.PadTop < 0 || p.PadBottom < 0 || p.PadLeft < 0 || p.PadRight < 0:
		return fmt.Errorf("pool: negative padding")
	case p.PadTop >= p.KH || p.PadBottom >= p.KH || p.PadLeft >= p.KW || p.PadRight >= p.KW:
		return fmt.Errorf("pool: padding %d,%d,%d,%d must be smaller than the %dx%d window", p.PadTop, p.PadBottom, p.PadLeft, p.PadRight, p.KH, p.KW)
	case p.OutH() < 1 || p.OutW() < 1:
		return fmt.Errorf("pool: input %dx%d is smaller than the %dx%d window", p.InH, p.InW, p.KH, p.KW)
	case p.InH*p.InW*p.C > math.MaxInt32:
		return fmt.Errorf("pool: %dx%dx%d image has too many values for int32 indices", p.InH, p.InW, p.C)
	}
	return nil
}

// window returns the input rows [y0, y1) and columns [x0, x1) under output
// pixel (oy, ox), clipped to the image.
func (p PoolParams) window(oy, ox int) (y0, y1, x0, x1 int) {
	y0, x0 = oy*p.StrideH-p.PadTop, ox*p.StrideW-p.PadLeft
	y1, x1 = min(y0+p.KH, p.InH), min(x0+p.KW, p.InW)
	return max(y0, 0), y1, max(x0, 0), x1
}
