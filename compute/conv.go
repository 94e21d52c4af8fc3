package compute

import "fmt"

// ConvParams describes a 2-D convolution over an NHWC input with a
// [KH][KW][InC/Groups][OutC] (HWIO) kernel. Groups == InC gives a depthwise
// convolution; output channel oc belongs to group oc/(OutC/Groups), which
// matches Keras's depthwise layout (channel c, multiplier j -> c*mult+j).
type ConvParams struct {
	Batch, InH, InW, InC int
	OutC                 int
	KH, KW               int
	StrideH, StrideW     int
	PadTop, PadBottom    int
	PadLeft, PadRight    int
	DilationH, DilationW int
	Groups               int
}

// OutH returns the output height.
func (p ConvParams) OutH() int {
	return (p.InH+p.PadTop+p.PadBottom-p.DilationH*(p.KH-1)-1)/p.StrideH + 1
}

// OutW returns the output width.
func (p ConvParams) OutW() int {
	return (p.InW+p.PadLeft+p.PadRight-p.DilationW*(p.KW-1)-1)/p.StrideW + 1
}

// Validate reports a parameter set the kernels cannot run.
func (p ConvParams) Validate() error {
	switch {
	case p.Batch < 1 || p.InH < 1 || p.InW < 1 || p.InC < 1 || p.OutC < 1:
		return fmt.Errorf("conv: input %dx%dx%dx%d to %d channels: every size must be positive", p.Batch, p.InH, p.InW, p.InC, p.OutC)
	case p.KH < 1 || p.KW < 1:
		return fmt.Errorf("conv: kernel %dx%d: sizes must be positive", p.KH, p.KW)
	case p.StrideH < 1 || p.StrideW < 1:
		return fmt.Errorf("conv: stride %dx%d: must be positive", p.StrideH, p.StrideW)
	case p.DilationH < 1 || p.DilationW < 1:
		return fmt.Errorf("conv: dilation %dx%d: must be positive", p.DilationH, p.DilationW)
	case p.PadTop < 0 || p.PadBottom < 0 || p.PadLeft < 0 || p.PadRight < 0:
		return fmt.Errorf("conv: negative padding")
	case p.Groups < 1 || p.InC%p.Groups != 0 || p.OutC%p.Groups != 0:
		return fmt.Errorf("conv: %d groups do not divide %d input and %d output channels", p.Groups, p.InC, p.OutC)
	case p.OutH() < 1 || p.OutW() < 1:
		return fmt.Errorf("conv: input %dx%d is too small for a %dx%d kernel with dilation %dx%d", p.InH, p.InW, p.KH, p.KW, p.DilationH, p.DilationW)
	}
	return nil
}

// SamePadding returns TensorFlow's "same" padding for one spatial dimension:
// the output size is ceil(in/stride), and the odd pixel goes after.
func SamePadding(in, kernel, stride, dilation int) (before, after int) {
	out := (in + stride - 1) / stride
	eff := (kernel-1)*dilation + 1
	total := max((out-1)*stride+eff-in, 0)
	return total / 2, total - total/2
}

// isDepthwise reports a convolution with one input channel per group, which
// runs through the channel-vectorised depthwise kernels instead of Gemm.
func (p ConvParams) isDepthwise() bool {
	return p.Groups > 1 && p.Groups == p.InC
}

// Conv2D computes y = conv(x, w) + bias; y is overwritten, bias may be nil.
// x holds Batch*InH*InW*InC values, w KH*KW*(InC/Groups)*OutC, bias OutC and
// y Batch*OutH*OutW*OutC; p must pass Validate.
func Conv2D(p ConvParams, x, w, bias, y []float32) {
	if p.isDepthwise() {
		depthwiseForward(p, x, w, bias, y)
		return
	}
	convForward(p, x, w, bias, y)
}

// Conv2DBackwardData overwrites dx with dLoss/dx given dy = dLoss/dy.
func Conv2DBackwardData(p ConvParams, dy, w, dx []float32) {
	if p.isDepthwise() {
		depthwiseBackwardData(p, dy, w, dx)
		return
	}
	convBackwardDataGemm(p, dy, w, dx)
}

// Conv2DBackwardFilter adds dLoss/dw to dw and, if dbias is not nil,
// dLoss/dbias to dbias.
func Conv2DBackwardFilter(p ConvParams, x, dy, dw, dbias []float32) {
	if kern := activeGemm.Load(); p.isDepthwise() {
		depthwiseBackwardFilter(p, x, dy, dw)
	} else if sk := filterSegKernelFor(kern); p.useFilterSegs(sk) {
		convBackwardFilterSegs(sk, p, x, dy, dw)
	} else if p.useDirectFilter(kern) {
		convBackwardFilterDirect(kern, p, x, dy, dw)
	} else if p.useDirectFilterPointwise() {
		convBackwardFilterPointwise(kern, p, x, dy, dw)
	} else {
		convBackwardFilterGemm(p, x, dy, dw)
	}
	if dbias != nil {
		ChannelSumAdd(dbias, dy)
	}
}
