package zoo

import (
	"fmt"

	"github.com/graft-ml/graft/nn"
)

// MobileNet V3 (Howard et al. 2019, "Searching for MobileNetV3"), as
// torchvision's mobilenetv3.py builds it.

// bneck is one row of the paper's Tables 1 and 2: input channels, kernel,
// expanded channels, output channels, squeeze-and-excite, hard-swish,
// stride.
type bneck struct {
	in, k, exp, out int
	se, hs          bool
	stride          int
}

var mobilenetV3Large = []bneck{
	{16, 3, 16, 16, false, false, 1},
	{16, 3, 64, 24, false, false, 2},
	{24, 3, 72, 24, false, false, 1},
	{24, 5, 72, 40, true, false, 2},
	{40, 5, 120, 40, true, false, 1},
	{40, 5, 120, 40, true, false, 1},
	{40, 3, 240, 80, false, true, 2},
	{80, 3, 200, 80, false, true, 1},
	{80, 3, 184, 80, false, true, 1},
	{80, 3, 184, 80, false, true, 1},
	{80, 3, 480, 112, true, true, 1},
	{112, 3, 672, 112, true, true, 1},
	{112, 5, 672, 160, true, true, 2},
	{160, 5, 960, 160, true, true, 1},
	{160, 5, 960, 160, true, true, 1},
}

var mobilenetV3Small = []bneck{
	{16, 3, 16, 16, true, false, 2},
	{16, 3, 72, 24, false, false, 2},
	{24, 3, 88, 24, false, false, 1},
	{24, 5, 96, 40, true, true, 2},
	{40, 5, 240, 40, true, true, 1},
	{40, 5, 240, 40, true, true, 1},
	{40, 5, 120, 48, true, true, 1},
	{48, 5, 144, 48, true, true, 1},
	{48, 5, 288, 96, true, true, 2},
	{96, 5, 576, 96, true, true, 1},
	{96, 5, 576, 96, true, true, 1},
}

func buildMobileNetV3(b *builder) error {
	setting, lastChannel := mobilenetV3Large, 1280
	if b.spec.Name == "mobilenet_v3_small" {
		setting, lastChannel = mobilenetV3Small, 1024
	}
	w := b.opt.Width
	adjust := func(c int) int { return makeDivisible(float64(c)*w, 8) }
	b.bnStyle(1e-3, 0.01, 1e-3, 0.999)

	b.block("features.0")
	x := b.convBNAct("features.0", input, conv2d(adjust(setting[0].in), 3, 2, 1), "hardswish")
	b.kerasName("features.0.0", "conv")
	b.kerasName("features.0.1", "conv_bn")
	for i, s := range setting {
		name := fmt.Sprintf("features.%d", i+1)
		b.block(name)
		kp := fmt.Sprintf("expanded_conv_%d_", i)
		if i == 0 {
			kp = "expanded_conv_"
		}
		x = b.invertedResidualV3(name, kp, x, bneck{adjust(s.in), s.k, adjust(s.exp), adjust(s.out), s.se, s.hs, s.stride})
	}
	name := fmt.Sprintf("features.%d", len(setting)+1)
	b.block(name)
	x = b.convBNAct(name, x, conv2d(6*b.ch(x), 1, 1, 0), "hardswish")
	b.kerasName(name+".0", "conv_1")
	b.kerasName(name+".1", "conv_1_bn")

	b.base(x, func(x string) string {
		x = b.globalAvg("avgpool", x, false)
		x = b.dense("classifier.0", x, adjust(lastChannel))
		x = b.hswish("classifier.1", x)
		x = b.dropout("classifier.2", x, 0.2)
		b.kerasName("classifier.0", "conv_2")
		b.kerasName("classifier.3", "logits")
		return b.dense("classifier.3", x, b.opt.Classes)
	})
	return nil
}

// invertedResidualV3 is MobileNet V3's block: 1x1 expansion (when the
// expanded width differs), depthwise k×k, optional squeeze-and-excite with
// a hard-sigmoid gate, linear 1x1 projection, residual when the shape is
// kept. kp is the Keras layer-name prefix.
func (b *builder) invertedResidualV3(name, kp, x string, c bneck) string {
	act := "relu"
	if c.hs {
		act = "hardswish"
	}
	y, k := x, 0
	blk := func(i int) string { return fmt.Sprintf("%s.block.%d", name, i) }
	if c.exp != c.in {
		y = b.convBNAct(blk(k), y, conv2d(c.exp, 1, 1, 0), act)
		b.kerasName(blk(k)+".0", kp+"expand")
		b.kerasName(blk(k)+".1", kp+"expand_bn")
		k++
	}
	y = b.dwBNAct(blk(k), y, c.k, c.stride, act)
	b.kerasName(blk(k)+".0", kp+"depthwise")
	b.kerasName(blk(k)+".1", kp+"depthwise_bn")
	k++
	if c.se {
		y = b.squeezeExcite(blk(k), y, makeDivisible(float64(c.exp/4), 8), "relu", "hardsigmoid")
		b.kerasName(blk(k)+".fc1", kp+"squeeze_excite_conv")
		b.kerasName(blk(k)+".fc2", kp+"squeeze_excite_conv_1")
		k++
	}
	y = b.convBNAct(blk(k), y, conv2d(c.out, 1, 1, 0), "")
	b.kerasName(blk(k)+".0", kp+"project")
	b.kerasName(blk(k)+".1", kp+"project_bn")
	if c.stride == 1 && c.in == c.out {
		y = b.sum(name+".add", x, y)
	}
	return y
}

// squeezeExcite is torchvision's SqueezeExcitation: global average pool,
// 1x1 convolution to squeeze channels, activation, 1x1 convolution back,
// gate, and the input scaled by the gate.
func (b *builder) squeezeExcite(name, x string, squeeze int, act, gate string) string {
	s := b.globalAvg(name+".avgpool", x, true)
	fc1 := conv2d(squeeze, 1, 1, 0)
	fc1.NoBias = false
	s = b.conv(name+".fc1", s, fc1)
	s = b.activation(act, name+".activation", s)
	fc2 := conv2d(b.ch(x), 1, 1, 0)
	fc2.NoBias = false
	s = b.conv(name+".fc2", s, fc2)
	s = b.activation(gate, name+".scale_activation", s)
	return b.add(name+".scale", nn.NewMultiply(name+".scale"), b.ch(x), x, s)
}
