package kerasapps

import (
	"fmt"
)

// mnv3Block is one of MobileNetV3's inverted residual blocks, as
// keras.applications' stack_fn lists them.
type mnv3Block struct {
	expansion float64
	filters   int // before the width multiplier
	kernel    int // 0: the model's kernel (5, or 3 when minimalistic)
	stride    int
	se        bool // squeeze-and-excite unless minimalistic
	hswish    bool // the model's activation (hard swish unless minimalistic), else ReLU
}

var mnv3Small = []mnv3Block{
	{1, 16, 3, 2, true, false}, {72. / 16, 24, 3, 2, false, false}, {88. / 24, 24, 3, 1, false, false},
	{4, 40, 0, 2, true, true}, {6, 40, 0, 1, true, true}, {6, 40, 0, 1, true, true},
	{3, 48, 0, 1, true, true}, {3, 48, 0, 1, true, true},
	{6, 96, 0, 2, true, true}, {6, 96, 0, 1, true, true}, {6, 96, 0, 1, true, true},
}

var mnv3Large = []mnv3Block{
	{1, 16, 3, 1, false, false}, {4, 24, 3, 2, false, false}, {3, 24, 3, 1, false, false},
	{3, 40, 0, 2, true, false}, {3, 40, 0, 1, true, false}, {3, 40, 0, 1, true, false},
	{6, 80, 3, 2, false, true}, {2.5, 80, 3, 1, false, true}, {2.3, 80, 3, 1, false, true}, {2.3, 80, 3, 1, false, true},
	{6, 112, 3, 1, true, true}, {6, 112, 3, 1, true, true},
	{6, 160, 0, 2, true, true}, {6, 160, 0, 1, true, true}, {6, 160, 0, 1, true, true},
}

// mnv3 writes MobileNetV3's layers; its activations are, as Keras 2
// writes them, ReLU layers, and hard sigmoid is x + 3 (a TFOpLambda in
// Keras, a Rescaling here), ReLU(6.) and * 1/6 (another TFOpLambda).
type mnv3 struct {
	*net
	minimalistic bool
}

func (m mnv3) hardSigmoid(x tensor) tensor {
	x = m.rescale(m.auto("tf.__operators__.add"), x, 1.0, 3)
	x = m.relu6(m.auto("re_lu"), x)
	return m.rescale(m.auto("tf.math.multiply"), x, 1.0/6, 0)
}

// activation is the model's: hard swish, x * hard_sigmoid(x), or ReLU
// when minimalistic.
func (m mnv3) activation(x tensor) tensor {
	if m.minimalistic {
		return m.relu(m.auto("re_lu"), x)
	}
	return m.multiply(m.auto("multiply"), x, m.hardSigmoid(x))
}

// convBN is a bias-free convolution and a BatchNorm named name+"/BatchNorm".
func (m mnv3) convBN(name string, x tensor, filters, k, stride int) tensor {
	x = m.conv(name, x, filters, k, k, stride, true, false, "linear")
	return m.bn(name+"/BatchNorm", x, 1e-3, 0.999, true)
}

// block is keras.applications' _inverted_res_block (Keras 2 names).
func (m mnv3) block(x tensor, b mnv3Block, alpha float64, id int) tensor {
	shortcut := x
	in := x.channels()
	filters := makeDivisible(float64(b.filters)*alpha, 8)
	k, se, act := b.kernel, b.se && !m.minimalistic, b.hswish
	if k == 0 {
		k = 5
		if m.minimalistic {
			k = 3
		}
	}
	activation := func(x tensor) tensor {
		if act {
			return m.activation(x)
		}
		return m.relu(m.auto("re_lu"), x)
	}
	prefix := "expanded_conv/"
	expanded := makeDivisible(float64(in)*b.expansion, 8)
	if id > 0 {
		prefix = fmt.Sprintf("expanded_conv_%d/", id)
		x = activation(m.convBN(prefix+"expand", x, expanded, 1, 1))
	}
	if b.stride == 2 {
		t, bo, l, r := correctPad(x, k)
		x = m.zeroPad(prefix+"depthwise/pad", x, t, bo, l, r)
	}
	x = m.depthwise(prefix+"depthwise", x, k, b.stride, b.stride == 1)
	x = activation(m.bn(prefix+"depthwise/BatchNorm", x, 1e-3, 0.999, true))
	if se {
		s := m.squeeze(prefix+"squeeze_excite/AvgPool", x)
		s = m.conv(prefix+"squeeze_excite/Conv", s, makeDivisible(float64(expanded)*0.25, 8), 1, 1, 1, true, true, "linear")
		s = m.relu(prefix+"squeeze_excite/Relu", s)
		s = m.conv(prefix+"squeeze_excite/Conv_1", s, expanded, 1, 1, 1, true, true, "linear")
		x = m.multiply(prefix+"squeeze_excite/Mul", x, m.hardSigmoid(s))
	}
	x = m.convBN(prefix+"project", x, filters, 1, 1)
	if b.stride == 1 && in == filters {
		x = m.merge("Add", prefix+"Add", shortcut, x)
	}
	return x
}

// buildMobileNetV3 writes keras.applications.MobileNetV3Small or
// MobileNetV3Large as Keras 2 (tf.keras) builds it, which names the layers
// as the release files do ("Conv/BatchNorm", "expanded_conv_3/project"):
// the model rescales its [0, 255] input to [-1, 1] itself; without the top
// it ends at Conv_1's activation, and the top pools, then runs Conv_2,
// Dropout and the 1x1 convolution "Logits".
func buildMobileNetV3(large bool) archFunc {
	return func(n *net, o Options) (tensor, tensor) {
		m := mnv3{net: n, minimalistic: o.Minimalistic}
		blocks, lastPoint := mnv3Small, 1024
		if large {
			blocks, lastPoint = mnv3Large, 1280
		}
		in := n.input("input_1", o.InputH, o.InputW)
		x := n.rescale(n.auto("rescaling"), in, 1/127.5, -1)
		x = m.activation(m.convBN("Conv", x, 16, 3, 2))
		for id, b := range blocks {
			x = m.block(x, b, o.Alpha, id)
		}
		lastConv := makeDivisible(float64(x.channels()*6), 8)
		if o.Alpha > 1 {
			lastPoint = makeDivisible(float64(lastPoint)*o.Alpha, 8)
		}
		x = m.activation(m.convBN("Conv_1", x, lastConv, 1, 1))
		if !o.IncludeTop {
			return in, n.pooling(x, o.Pooling, "avg_pool", "max_pool")
		}
		x = n.squeeze(n.auto("global_average_pooling2d"), x)
		x = m.activation(n.conv("Conv_2", x, lastPoint, 1, 1, 1, true, true, "linear"))
		x = n.dropout(n.auto("dropout"), x, 0.2, nil)
		x = n.conv("Logits", x, o.Classes, 1, 1, 1, true, true, "linear")
		x = n.add("Flatten", n.auto("flatten"), map[string]any{"data_format": "channels_last"}, []int{o.Classes}, x)
		return in, n.act("Predictions", x, o.topAct())
	}
}
