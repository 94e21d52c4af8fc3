package zoo

import (
	"fmt"
	"math"
)

// EfficientNet B0-B3 (Tan & Le 2019, "EfficientNet: Rethinking Model
// Scaling for Convolutional Neural Networks"), as torchvision's
// efficientnet.py builds it. Stochastic depth is the identity at
// inference, so Graft does not build it; dropout before the classifier is
// kept.

// mbconv is one stage of the paper's Table 1 (B0): expansion, kernel,
// stride, input and output channels, layers.
type mbconv struct {
	expand, k, stride, in, out, layers int
}

var efficientNetB0 = []mbconv{
	{1, 3, 1, 32, 16, 1},
	{6, 3, 2, 16, 24, 2},
	{6, 5, 2, 24, 40, 2},
	{6, 3, 2, 40, 80, 3},
	{6, 5, 1, 80, 112, 3},
	{6, 5, 2, 112, 192, 4},
	{6, 3, 1, 192, 320, 1},
}

// efficientNetScaling is each variant's width and depth multipliers and
// classifier dropout.
var efficientNetScaling = map[string]struct{ width, depth, dropout float64 }{
	"efficientnet_b0": {1.0, 1.0, 0.2},
	"efficientnet_b1": {1.0, 1.1, 0.2},
	"efficientnet_b2": {1.1, 1.2, 0.3},
	"efficientnet_b3": {1.2, 1.4, 0.3},
}

func buildEfficientNet(b *builder) error {
	sc, ok := efficientNetScaling[b.spec.Name]
	if !ok {
		return fmt.Errorf("no EfficientNet scaling for %q", b.spec.Name)
	}
	width := func(c int) int { return makeDivisible(float64(c)*sc.width, 8) }
	depth := func(n int) int { return int(math.Ceil(float64(n) * sc.depth)) }
	b.bnStyle(1e-5, 0.1, 1e-3, 0.99)

	b.block("features.0")
	x := b.convBNAct("features.0", input, conv2d(width(efficientNetB0[0].in), 3, 2, 1), "silu")
	b.kerasName("features.0.0", "stem_conv")
	b.kerasName("features.0.1", "stem_bn")
	for s, st := range efficientNetB0 {
		in, out := width(st.in), width(st.out)
		for j := range depth(st.layers) {
			stride := st.stride
			if j > 0 {
				in, stride = out, 1
			}
			name := fmt.Sprintf("features.%d.%d", s+1, j)
			b.block(name)
			kp := fmt.Sprintf("block%d%c_", s+1, 'a'+j)
			x = b.mbConv(name, kp, x, st.expand, st.k, stride, in, out)
		}
	}
	name := fmt.Sprintf("features.%d", len(efficientNetB0)+1)
	b.block(name)
	x = b.convBNAct(name, x, conv2d(4*b.ch(x), 1, 1, 0), "silu")
	b.kerasName(name+".0", "top_conv")
	b.kerasName(name+".1", "top_bn")

	b.base(x, func(x string) string {
		x = b.globalAvg("avgpool", x, false)
		x = b.dropout("classifier.0", x, sc.dropout)
		b.kerasName("classifier.1", "predictions")
		return b.dense("classifier.1", x, b.opt.Classes)
	})
	return nil
}

// mbConv is the mobile inverted bottleneck with squeeze-and-excite: 1x1
// expansion (unless the ratio is 1), depthwise k×k, SE (squeeze to a
// quarter of the block's input channels, SiLU, sigmoid gate), linear 1x1
// projection, and a residual when the shape is kept. kp is the Keras
// layer-name prefix ("block2a_").
func (b *builder) mbConv(name, kp, x string, expand, k, stride, in, out int) string {
	blk := func(i int) string { return fmt.Sprintf("%s.block.%d", name, i) }
	exp := makeDivisible(float64(in*expand), 8)
	y, i := x, 0
	if exp != in {
		y = b.convBNAct(blk(i), y, conv2d(exp, 1, 1, 0), "silu")
		b.kerasName(blk(i)+".0", kp+"expand_conv")
		b.kerasName(blk(i)+".1", kp+"expand_bn")
		i++
	}
	y = b.dwBNAct(blk(i), y, k, stride, "silu")
	b.kerasName(blk(i)+".0", kp+"dwconv")
	b.kerasName(blk(i)+".1", kp+"bn")
	i++
	y = b.squeezeExcite(blk(i), y, max(1, in/4), "silu", "sigmoid")
	b.kerasName(blk(i)+".fc1", kp+"se_reduce")
	b.kerasName(blk(i)+".fc2", kp+"se_expand")
	i++
	y = b.convBNAct(blk(i), y, conv2d(out, 1, 1, 0), "")
	b.kerasName(blk(i)+".0", kp+"project_conv")
	b.kerasName(blk(i)+".1", kp+"project_bn")
	if stride == 1 && in == out {
		y = b.sum(name+".add", x, y)
	}
	return y
}
