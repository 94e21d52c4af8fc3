package zoo

import (
	"fmt"
	"math"

	"github.com/graft-ml/graft/nn"
)

// makeDivisible is torchvision's _make_divisible (and Keras's _depth and
// round_filters): v rounded to the nearest multiple of divisor, at least
// divisor, and never more than 10% below v.
func makeDivisible(v float64, divisor int) int {
	d := float64(divisor)
	n := max(divisor, int(v+d/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

// MobileNet V1 (Howard et al. 2017, "MobileNets: Efficient Convolutional
// Neural Networks for Mobile Vision Applications"). torchvision has no
// MobileNet V1, so Graft builds Keras's: node names are Keras's layer
// names, "same" padding, and a 1x1 convolution as the classifier.

// mobilenetV1Layers are the paper's Table 1: pointwise filters and the
// stride of each depthwise separable block.
var mobilenetV1Layers = []struct{ filters, stride int }{
	{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},
	{512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1},
}

func buildMobileNetV1(b *builder) error {
	alpha := b.opt.Width
	b.bnStyle(0, 0, 1e-3, 0.99)
	b.block("conv1")
	c := conv2d(int(32*alpha), 3, 2, 0)
	c.Padding = nn.PadSame()
	x := b.conv("conv1", input, c)
	x = b.bn("conv1_bn", x)
	x = b.relu6("conv1_relu", x)
	for i, l := range mobilenetV1Layers {
		id := i + 1
		b.block(fmt.Sprintf("conv_dw_%d", id))
		pad := nn.PadSame()
		if l.stride == 2 {
			pad = nn.PadValid()
			x = b.zeroPad(fmt.Sprintf("conv_pad_%d", id), x, 0, 1, 0, 1)
		}
		x = b.dwconv(fmt.Sprintf("conv_dw_%d", id), x, 3, l.stride, pad)
		x = b.bn(fmt.Sprintf("conv_dw_%d_bn", id), x)
		x = b.relu6(fmt.Sprintf("conv_dw_%d_relu", id), x)
		x = b.conv(fmt.Sprintf("conv_pw_%d", id), x, conv2d(int(float64(l.filters)*alpha), 1, 1, 0))
		x = b.bn(fmt.Sprintf("conv_pw_%d_bn", id), x)
		x = b.relu6(fmt.Sprintf("conv_pw_%d_relu", id), x)
	}
	for _, n := range b.g.Nodes()[1:] {
		b.kerasName(n, n)
	}
	b.base(x, func(x string) string {
		x = b.globalAvg("global_average_pooling2d", x, true)
		x = b.dropout("dropout", x, 1e-3)
		c := conv2d(b.opt.Classes, 1, 1, 0)
		c.NoBias = false
		x = b.conv("conv_preds", x, c)
		b.kerasName("conv_preds", "conv_preds")
		return b.flatten("reshape_2", x, 1, 1)
	})
	return nil
}

// zeroPad adds a ZeroPadding2D.
func (b *builder) zeroPad(name, in string, top, bottom, left, right int) string {
	if b.err != nil {
		return name
	}
	l, err := nn.NewZeroPadding2D(name, top, bottom, left, right)
	if err != nil {
		return b.fail(err)
	}
	return b.add(name, l, b.ch(in), in)
}

// MobileNet V2 (Sandler et al. 2018, "MobileNetV2: Inverted Residuals and
// Linear Bottlenecks"), as torchvision's mobilenetv2.py builds it.

// mobilenetV2Setting is the paper's Table 2: expansion t, channels c,
// repeats n, stride s.
var mobilenetV2Setting = [][4]int{
	{1, 16, 1, 1},
	{6, 24, 2, 2},
	{6, 32, 3, 2},
	{6, 64, 4, 2},
	{6, 96, 3, 1},
	{6, 160, 3, 2},
	{6, 320, 1, 1},
}

func buildMobileNetV2(b *builder) error {
	w := b.opt.Width
	b.bnStyle(1e-5, 0.1, 1e-3, 0.999)
	inC := makeDivisible(32*w, 8)
	last := makeDivisible(1280*max(1, w), 8)

	b.block("features.0")
	x := b.convBNAct("features.0", input, conv2d(inC, 3, 2, 1), "relu6")
	b.kerasName("features.0.0", "Conv1")
	b.kerasName("features.0.1", "bn_Conv1")
	idx := 1
	for _, s := range mobilenetV2Setting {
		t, c, n, stride := s[0], s[1], s[2], s[3]
		out := makeDivisible(float64(c)*w, 8)
		for i := range n {
			if i > 0 {
				stride = 1
			}
			name := fmt.Sprintf("features.%d", idx)
			b.block(name)
			x = b.invertedResidualV2(name, x, out, stride, t, idx-1)
			idx++
		}
	}
	name := fmt.Sprintf("features.%d", idx)
	b.block(name)
	x = b.convBNAct(name, x, conv2d(last, 1, 1, 0), "relu6")
	b.kerasName(name+".0", "Conv_1")
	b.kerasName(name+".1", "Conv_1_bn")

	b.base(x, func(x string) string {
		x = b.globalAvg("avgpool", x, false)
		x = b.dropout("classifier.0", x, 0.2)
		b.kerasName("classifier.1", "predictions")
		return b.dense("classifier.1", x, b.opt.Classes)
	})
	return nil
}

// convBNAct is torchvision's Conv2dNormActivation: name.0 convolution,
// name.1 BatchNorm, name.2 activation ("" for none).
func (b *builder) convBNAct(name, in string, c nn.Conv2DConfig, act string) string {
	x := b.conv(name+".0", in, c)
	x = b.bn(name+".1", x)
	if act != "" {
		x = b.activation(act, name+".2", x)
	}
	return x
}

// dwBNAct is Conv2dNormActivation with a depthwise k×k convolution and
// torchvision's padding (k-1)/2.
func (b *builder) dwBNAct(name, in string, k, stride int, act string) string {
	p := (k - 1) / 2
	x := b.dwconv(name+".0", in, k, stride, nn.PadSymmetric(p, p))
	x = b.bn(name+".1", x)
	if act != "" {
		x = b.activation(act, name+".2", x)
	}
	return x
}

// invertedResidualV2 is MobileNet V2's block: 1x1 expansion (unless t is
// 1), 3x3 depthwise, linear 1x1 projection, and a residual when the shape
// is kept. kerasID is Keras's block_id.
func (b *builder) invertedResidualV2(name, x string, out, stride, t, kerasID int) string {
	in := b.ch(x)
	hidden := int(math.Round(float64(in * t)))
	y, k := x, 0
	kp := fmt.Sprintf("block_%d_", kerasID)
	if kerasID == 0 {
		kp = "expanded_conv_"
	}
	if t != 1 {
		y = b.convBNAct(fmt.Sprintf("%s.conv.%d", name, k), y, conv2d(hidden, 1, 1, 0), "relu6")
		b.kerasName(fmt.Sprintf("%s.conv.%d.0", name, k), kp+"expand")
		b.kerasName(fmt.Sprintf("%s.conv.%d.1", name, k), kp+"expand_BN")
		k++
	}
	y = b.dwBNAct(fmt.Sprintf("%s.conv.%d", name, k), y, 3, stride, "relu6")
	b.kerasName(fmt.Sprintf("%s.conv.%d.0", name, k), kp+"depthwise")
	b.kerasName(fmt.Sprintf("%s.conv.%d.1", name, k), kp+"depthwise_BN")
	proj, pbn := fmt.Sprintf("%s.conv.%d", name, k+1), fmt.Sprintf("%s.conv.%d", name, k+2)
	y = b.conv(proj, y, conv2d(out, 1, 1, 0))
	y = b.bn(pbn, y)
	b.kerasName(proj, kp+"project")
	b.kerasName(pbn, kp+"project_BN")
	if stride == 1 && in == out {
		y = b.sum(name+".add", x, y)
	}
	return y
}
