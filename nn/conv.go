package nn

import (
	"fmt"

	"github.com/graft-ml/graft/compute"
	"github.com/graft-ml/graft/tensor"
)

// Conv2DConfig configures a Conv2D layer. Zero strides, dilations and groups
// mean 1.
type Conv2DConfig struct {
	InChannels, Filters  int
	KernelH, KernelW     int
	StrideH, StrideW     int
	DilationH, DilationW int
	Padding              Padding
	Groups               int
	// NoBias drops the bias (PyTorch bias=False, Keras use_bias=False).
	NoBias bool
	// Init and Seed set the kernel's initial values; the bias starts at zero.
	Init Init
	Seed uint64
}

// Conv2D is a 2-D convolution over NHWC input with a Keras-layout kernel
// [KH, KW, InChannels/Groups, Filters] and an optional bias [Filters].
type Conv2D struct {
	convCore
}

// DepthwiseConv2DConfig configures a DepthwiseConv2D layer. Zero strides,
// dilations and multiplier mean 1.
type DepthwiseConv2DConfig struct {
	Channels, Multiplier int
	KernelH, KernelW     int
	StrideH, StrideW     int
	DilationH, DilationW int
	Padding              Padding
	NoBias               bool
	Init                 Init
	Seed                 uint64
}

// DepthwiseConv2D convolves each input channel with its own Multiplier
// filters. Its kernel has Keras's depthwise layout [KH, KW, Channels,
// Multiplier]; output channel c*Multiplier+j comes from input channel c.
type DepthwiseConv2D struct {
	convCore
}

// convCore is the convolution shared by Conv2D and DepthwiseConv2D.
type convCore struct {
	name              string
	inC, outC, groups int
	kh, kw, sh, sw    int
	dh, dw            int
	pad               Padding
	// Kernel is the convolution's weights; Bias is nil without a bias.
	Kernel, Bias *Param
	cache
	p compute.ConvParams
}

func orOne(v int) int {
	if v == 0 {
		return 1
	}
	return v
}

// NewConv2D returns a convolution layer with initialised weights.
func NewConv2D(name string, c Conv2DConfig) (*Conv2D, error) {
	g := orOne(c.Groups)
	core := convCore{name: name, inC: c.InChannels, outC: c.Filters, groups: g,
		kh: c.KernelH, kw: c.KernelW, sh: orOne(c.StrideH), sw: orOne(c.StrideW),
		dh: orOne(c.DilationH), dw: orOne(c.DilationW), pad: c.Padding}
	if err := core.validate(); err != nil {
		return nil, err
	}
	k := tensor.New(c.KernelH, c.KernelW, c.InChannels/g, c.Filters)
	rf := c.KernelH * c.KernelW
	c.Init.fill(k, rf*c.InChannels/g, rf*c.Filters/g, c.Seed)
	core.Kernel = NewParam("kernel", k)
	if !c.NoBias {
		core.Bias = NewParam("bias", tensor.New(c.Filters))
	}
	return &Conv2D{core}, nil
}

// NewDepthwiseConv2D returns a depthwise convolution with initialised weights.
func NewDepthwiseConv2D(name string, c DepthwiseConv2DConfig) (*DepthwiseConv2D, error) {
	m := orOne(c.Multiplier)
	core := convCore{name: name, inC: c.Channels, outC: c.Channels * m, groups: c.Channels,
		kh: c.KernelH, kw: c.KernelW, sh: orOne(c.StrideH), sw: orOne(c.StrideW),
		dh: orOne(c.DilationH), dw: orOne(c.DilationW), pad: c.Padding}
	if err := core.validate(); err != nil {
		return nil, err
	}
	k := tensor.New(c.KernelH, c.KernelW, c.Channels, m)
	rf := c.KernelH * c.KernelW
	c.Init.fill(k, rf, rf*m, c.Seed)
	core.Kernel = NewParam("depthwise_kernel", k)
	if !c.NoBias {
		core.Bias = NewParam("bias", tensor.New(c.Channels*m))
	}
	return &DepthwiseConv2D{core}, nil
}

func (c *convCore) validate() error {
	switch {
	case c.inC < 1 || c.outC < 1:
		return fmt.Errorf("%s: %d input and %d output channels: both must be positive", c.name, c.inC, c.outC)
	case c.kh < 1 || c.kw < 1:
		return fmt.Errorf("%s: kernel %dx%d: sizes must be positive", c.name, c.kh, c.kw)
	case c.sh < 1 || c.sw < 1 || c.dh < 1 || c.dw < 1:
		return fmt.Errorf("%s: stride %dx%d and dilation %dx%d must be positive", c.name, c.sh, c.sw, c.dh, c.dw)
	case c.groups < 1 || c.inC%c.groups != 0 || c.outC%c.groups != 0:
		return fmt.Errorf("%s: %d groups do not divide %d input and %d output channels", c.name, c.groups, c.inC, c.outC)
	case c.pad.negative():
		return fmt.Errorf("%s: negative padding %+v", c.name, c.pad)
	}
	return nil
}

// Name returns the layer's name.
func (c *convCore) Name() string { return c.name }

// Params returns the kernel and, if present, the bias.
func (c *convCore) Params() []*Param {
	if c.Bias == nil {
		return []*Param{c.Kernel}
	}
	return []*Param{c.Kernel, c.Bias}
}

// Forward convolves the single NHWC input.
func (c *convCore) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	c.Release()
	x, err := oneInput(c.name, inputs, 4)
	if err != nil {
		return nil, err
	}
	if x.Shape[3] != c.inC {
		return nil, fmt.Errorf("%s: input %v, want %d channels", c.name, x.Shape, c.inC)
	}
	p := compute.ConvParams{Batch: x.Shape[0], InH: x.Shape[1], InW: x.Shape[2], InC: c.inC, OutC: c.outC,
		KH: c.kh, KW: c.kw, StrideH: c.sh, StrideW: c.sw, DilationH: c.dh, DilationW: c.dw, Groups: c.groups}
	p.PadTop, p.PadBottom, p.PadLeft, p.PadRight = c.pad.resolve(p.InH, p.InW, c.kh, c.kw, c.sh, c.sw, c.dh, c.dw)
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: input %v: %w", c.name, x.Shape, err)
	}
	y := newOutput(p.Batch, p.OutH(), p.OutW(), c.outC)
	var bias []float32
	if c.Bias != nil {
		bias = c.Bias.Value.Data
	}
	compute.Conv2D(p, x.Data, c.Kernel.Value.Data, bias, y.Data)
	if training {
		c.keep(x)
		c.p = p
	}
	return y, nil
}

// Backward adds the kernel and bias gradients and returns dLoss/dInput.
func (c *convCore) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if err := c.ready(c.name); err != nil {
		return nil, err
	}
	p, x := c.p, c.ts[0]
	defer c.Release()
	if err := checkGradShape(c.name, gradOut, []int{p.Batch, p.OutH(), p.OutW(), p.OutC}); err != nil {
		return nil, err
	}
	biasTrainable := c.Bias != nil && c.Bias.Trainable
	switch {
	case c.Kernel.Trainable:
		var db []float32
		if biasTrainable {
			db = c.Bias.EnsureGrad().Data
		}
		compute.Conv2DBackwardFilter(p, x.Data, gradOut.Data, c.Kernel.EnsureGrad().Data, db)
	case biasTrainable:
		compute.ChannelSumAdd(c.Bias.EnsureGrad().Data, gradOut.Data)
	}
	if !needInputGrad {
		return nil, nil
	}
	dx := newOutput(x.Shape...)
	compute.Conv2DBackwardData(p, gradOut.Data, c.Kernel.Value.Data, dx.Data)
	return []*tensor.Tensor{dx}, nil
}
