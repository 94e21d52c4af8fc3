package kerasapps

import (
	"fmt"
	"math"
)

// effStage is one entry of keras.applications' DEFAULT_BLOCKS_ARGS (all
// with se_ratio 0.25 and id_skip).
type effStage struct {
	kernel, repeats, in, out, expand, stride int
}

var effStages = []effStage{
	{3, 1, 32, 16, 1, 1}, {3, 2, 16, 24, 6, 2}, {5, 2, 24, 40, 6, 2}, {3, 3, 40, 80, 6, 2},
	{5, 3, 80, 112, 6, 1}, {5, 4, 112, 192, 6, 2}, {3, 1, 192, 320, 6, 1},
}

// effScaling is an EfficientNet variant's width and depth coefficients and
// top dropout rate.
type effScaling struct{ width, depth, dropout float64 }

// effVariants are the scalings of EfficientNet B0-B3 by zoo name.
var effVariants = map[string]effScaling{
	"efficientnet_b0": {1.0, 1.0, 0.2},
	"efficientnet_b1": {1.0, 1.1, 0.2},
	"efficientnet_b2": {1.1, 1.2, 0.3},
	"efficientnet_b3": {1.2, 1.4, 0.3},
}

// filters is round_filters: f scaled by the width coefficient, rounded to a
// multiple of 8.
func (s effScaling) filters(f int) int { return makeDivisible(float64(f)*s.width, 8) }

// repeats is round_repeats: r scaled by the depth coefficient, rounded up.
func (s effScaling) repeats(r int) int { return int(math.Ceil(s.depth * float64(r))) }

// effDropConnect is keras.applications' drop_connect_rate.
const effDropConnect = 0.2

// imagenetStd is the ImageNet standard deviation (RGB) that
// keras.applications' EfficientNet divides by once more, by a Rescaling
// after its Normalization, for the ImageNet weights: the release files hold
// the standard deviation where Normalization takes the variance.
var imagenetStd = [3]float64{0.229, 0.224, 0.225}

// buildEfficientNet writes keras.applications.EfficientNetB0-B3 as Keras
// builds it with weights="imagenet": Rescaling to [0, 1], Normalization
// (its mean, variance and count are weights), the Rescaling that corrects
// the release files' variance, then the stem, blocks ("block1a_"...) and
// top. Drop-connect Dropout layers, the identity at inference, are kept
// for Keras's layer list.
func buildEfficientNet(s effScaling) archFunc {
	return func(n *net, o Options) (tensor, tensor) {
		filters, repeats := s.filters, s.repeats
		in := n.input("input_1", o.InputH, o.InputW)
		x := n.rescale(n.auto("rescaling"), in, 1/255.0, 0)
		x = n.add("Normalization", n.auto("normalization"), map[string]any{"axis": []int{3}, "mean": nil, "variance": nil}, x.shape, x)
		var inv []float64
		for _, sd := range imagenetStd {
			inv = append(inv, 1/math.Sqrt(sd))
		}
		x = n.rescale(n.auto("rescaling"), x, inv, 0)
		t, b, l, r := correctPad(x, 3)
		x = n.zeroPad("stem_conv_pad", x, t, b, l, r)
		x = n.conv("stem_conv", x, filters(32), 3, 3, 2, false, false, "linear")
		x = n.bn("stem_bn", x, 1e-3, 0.99, true)
		x = n.act("stem_activation", x, "swish")

		total := 0
		for _, st := range effStages {
			total += repeats(st.repeats)
		}
		k := 0
		for i, st := range effStages {
			for j := range repeats(st.repeats) {
				fin, stride := filters(st.in), st.stride
				if j > 0 {
					fin, stride = filters(st.out), 1
				}
				name := fmt.Sprintf("block%d%c_", i+1, 'a'+j)
				x = effBlock(n, x, name, fin, filters(st.out), st.kernel, stride, st.expand, effDropConnect*float64(k)/float64(total))
				k++
			}
		}
		x = n.conv("top_conv", x, filters(1280), 1, 1, 1, true, false, "linear")
		x = n.bn("top_bn", x, 1e-3, 0.99, true)
		x = n.act("top_activation", x, "swish")
		if !o.IncludeTop {
			return in, n.pooling(x, o.Pooling, "avg_pool", "max_pool")
		}
		x = n.globalPool(true, "avg_pool", x)
		x = n.dropout("top_dropout", x, s.dropout, nil)
		return in, n.dense("predictions", x, o.Classes, o.topAct())
	}
}

// effBlock is keras.applications' EfficientNet block: expansion,
// depthwise convolution, squeeze-and-excite, projection and, where the
// shapes allow, drop-connect and the residual add.
func effBlock(n *net, inputs tensor, name string, fin, fout, kernel, stride, expand int, dropRate float64) tensor {
	x := inputs
	ch := fin * expand
	if expand != 1 {
		x = n.conv(name+"expand_conv", x, ch, 1, 1, 1, true, false, "linear")
		x = n.bn(name+"expand_bn", x, 1e-3, 0.99, true)
		x = n.act(name+"expand_activation", x, "swish")
	}
	if stride == 2 {
		t, b, l, r := correctPad(x, kernel)
		x = n.zeroPad(name+"dwconv_pad", x, t, b, l, r)
	}
	x = n.depthwise(name+"dwconv", x, kernel, stride, stride == 1)
	x = n.bn(name+"bn", x, 1e-3, 0.99, true)
	x = n.act(name+"activation", x, "swish")

	se := n.globalPool(true, name+"se_squeeze", x)
	se = n.add("Reshape", name+"se_reshape", map[string]any{"target_shape": []int{1, 1, ch}}, []int{1, 1, ch}, se)
	se = n.conv(name+"se_reduce", se, max(1, fin/4), 1, 1, 1, true, true, "swish")
	se = n.conv(name+"se_expand", se, ch, 1, 1, 1, true, true, "sigmoid")
	x = n.multiply(name+"se_excite", x, se)

	x = n.conv(name+"project_conv", x, fout, 1, 1, 1, true, false, "linear")
	x = n.bn(name+"project_bn", x, 1e-3, 0.99, true)
	if stride == 1 && fin == fout {
		if dropRate > 0 {
			x = n.dropout(name+"drop", x, dropRate, []any{nil, 1, 1, 1})
		}
		x = n.merge("Add", name+"add", x, inputs)
	}
	return x
}
