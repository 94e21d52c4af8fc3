package kerasapps

import (
	"fmt"
)

// topAct is the classifier's activation: Keras's softmax, or none for
// logits.
func (o Options) topAct() string {
	if o.Logits {
		return "linear"
	}
	return "softmax"
}

// buildVGG writes keras.applications.VGG16/VGG19: blocks of 3x3 "same"
// convolutions with biases and ReLU, 2x2 max pooling, and a top that
// flattens the NHWC feature map.
func buildVGG(convs [5]int) archFunc {
	return func(n *net, o Options) (tensor, tensor) {
		in := n.input("input_1", o.InputH, o.InputW)
		x := in
		filters := [5]int{64, 128, 256, 512, 512}
		for b, reps := range convs {
			for i := 1; i <= reps; i++ {
				x = n.conv(fmt.Sprintf("block%d_conv%d", b+1, i), x, filters[b], 3, 3, 1, true, true, "relu")
			}
			x = n.pool(false, fmt.Sprintf("block%d_pool", b+1), x, 2, 2, false)
		}
		if !o.IncludeTop {
			return in, n.pooling(x, o.Pooling, n.auto("global_average_pooling2d"), n.auto("global_max_pooling2d"))
		}
		x = n.add("Flatten", "flatten", map[string]any{"data_format": "channels_last"}, []int{x.shape[0] * x.shape[1] * x.shape[2]}, x)
		x = n.dense("fc1", x, 4096, "relu")
		x = n.dense("fc2", x, 4096, "relu")
		return in, n.dense("predictions", x, o.Classes, o.topAct())
	}
}

// resnetEps is keras.applications ResNet's BatchNorm epsilon.
const resnetEps = 1.001e-5

// buildResNet writes keras.applications.ResNet50/101/152 (ResNet v1: the
// stride on the first 1x1 convolution of a downsampling block, convolutions
// with biases).
func buildResNet(blocks [4]int) archFunc {
	return func(n *net, o Options) (tensor, tensor) {
		in := n.input("input_1", o.InputH, o.InputW)
		x := n.zeroPad("conv1_pad", in, 3, 3, 3, 3)
		x = n.conv("conv1_conv", x, 64, 7, 7, 2, false, true, "linear")
		x = n.bn("conv1_bn", x, resnetEps, 0.99, true)
		x = n.act("conv1_relu", x, "relu")
		x = n.zeroPad("pool1_pad", x, 1, 1, 1, 1)
		x = n.pool(false, "pool1_pool", x, 3, 2, false)
		for s, count := range blocks {
			filters := 64 << s
			stride := 2
			if s == 0 {
				stride = 1
			}
			for b := 1; b <= count; b++ {
				name := fmt.Sprintf("conv%d_block%d", s+2, b)
				if b == 1 {
					x = resnetBlock(n, x, filters, stride, true, name)
				} else {
					x = resnetBlock(n, x, filters, 1, false, name)
				}
			}
		}
		if o.IncludeTop {
			x = n.globalPool(true, "avg_pool", x)
			return in, n.dense("predictions", x, o.Classes, o.topAct())
		}
		return in, n.pooling(x, o.Pooling, "avg_pool", "max_pool")
	}
}

// resnetBlock is keras.applications' block1: a bottleneck with an optional
// projection shortcut.
func resnetBlock(n *net, x tensor, filters, stride int, project bool, name string) tensor {
	shortcut := x
	if project {
		shortcut = n.conv(name+"_0_conv", x, 4*filters, 1, 1, stride, false, true, "linear")
		shortcut = n.bn(name+"_0_bn", shortcut, resnetEps, 0.99, true)
	}
	x = n.conv(name+"_1_conv", x, filters, 1, 1, stride, false, true, "linear")
	x = n.bn(name+"_1_bn", x, resnetEps, 0.99, true)
	x = n.act(name+"_1_relu", x, "relu")
	x = n.conv(name+"_2_conv", x, filters, 3, 3, 1, true, true, "linear")
	x = n.bn(name+"_2_bn", x, resnetEps, 0.99, true)
	x = n.act(name+"_2_relu", x, "relu")
	x = n.conv(name+"_3_conv", x, 4*filters, 1, 1, 1, false, true, "linear")
	x = n.bn(name+"_3_bn", x, resnetEps, 0.99, true)
	x = n.merge("Add", name+"_add", shortcut, x)
	return n.act(name+"_out", x, "relu")
}

// incepConv is Inception V3's conv2d_bn: a convolution without bias, a
// BatchNorm without scale, and ReLU, all named by Keras's counters.
func incepConv(n *net, x tensor, filters, kh, kw, stride int, same bool) tensor {
	x = n.conv(n.auto("conv2d"), x, filters, kh, kw, stride, same, false, "linear")
	x = n.bn(n.auto("batch_normalization"), x, 1e-3, 0.99, false)
	return n.act(n.auto("activation"), x, "relu")
}

// avgBranch is Inception's 3x3 average pooling ("same", stride 1) followed
// by a 1x1 conv2d_bn.
func avgBranch(n *net, x tensor, filters int) tensor {
	p := n.pool(true, n.auto("average_pooling2d"), x, 3, 1, true)
	return incepConv(n, p, filters, 1, 1, 1, true)
}

// buildInceptionV3 writes keras.applications.InceptionV3.
func buildInceptionV3(n *net, o Options) (tensor, tensor) {
	in := n.input("input_1", o.InputH, o.InputW)
	c := func(x tensor, f, kh, kw int) tensor { return incepConv(n, x, f, kh, kw, 1, true) }
	x := incepConv(n, in, 32, 3, 3, 2, false)
	x = incepConv(n, x, 32, 3, 3, 1, false)
	x = c(x, 64, 3, 3)
	x = n.pool(false, n.auto("max_pooling2d"), x, 3, 2, false)
	x = incepConv(n, x, 80, 1, 1, 1, false)
	x = incepConv(n, x, 192, 3, 3, 1, false)
	x = n.pool(false, n.auto("max_pooling2d"), x, 3, 2, false)

	// mixed 0, 1, 2: 35 x 35
	for i, poolF := range []int{32, 64, 64} {
		b1 := c(x, 64, 1, 1)
		b5 := c(c(x, 48, 1, 1), 64, 5, 5)
		b3 := c(c(c(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
		bp := avgBranch(n, x, poolF)
		x = n.merge("Concatenate", fmt.Sprintf("mixed%d", i), b1, b5, b3, bp)
	}
	// mixed 3: 17 x 17
	b3 := incepConv(n, x, 384, 3, 3, 2, false)
	bd := incepConv(n, c(c(x, 64, 1, 1), 96, 3, 3), 96, 3, 3, 2, false)
	bp := n.pool(false, n.auto("max_pooling2d"), x, 3, 2, false)
	x = n.merge("Concatenate", "mixed3", b3, bd, bp)
	// mixed 4 to 7: 17 x 17
	for i, f := range []int{128, 160, 160, 192} {
		b1 := c(x, 192, 1, 1)
		b7 := c(c(c(x, f, 1, 1), f, 1, 7), 192, 7, 1)
		bd := c(c(c(c(c(x, f, 1, 1), f, 7, 1), f, 1, 7), f, 7, 1), 192, 1, 7)
		bp := avgBranch(n, x, 192)
		x = n.merge("Concatenate", fmt.Sprintf("mixed%d", 4+i), b1, b7, bd, bp)
	}
	// mixed 8: 8 x 8
	b3 = incepConv(n, c(x, 192, 1, 1), 320, 3, 3, 2, false)
	b7 := incepConv(n, c(c(c(x, 192, 1, 1), 192, 1, 7), 192, 7, 1), 192, 3, 3, 2, false)
	bp = n.pool(false, n.auto("max_pooling2d"), x, 3, 2, false)
	x = n.merge("Concatenate", "mixed8", b3, b7, bp)
	// mixed 9, 10: 8 x 8
	for i := range 2 {
		b1 := c(x, 320, 1, 1)
		b3 := c(x, 384, 1, 1)
		b3 = n.merge("Concatenate", fmt.Sprintf("mixed9_%d", i), c(b3, 384, 1, 3), c(b3, 384, 3, 1))
		bd := c(c(x, 448, 1, 1), 384, 3, 3)
		bd = n.merge("Concatenate", n.auto("concatenate"), c(bd, 384, 1, 3), c(bd, 384, 3, 1))
		bp := avgBranch(n, x, 192)
		x = n.merge("Concatenate", fmt.Sprintf("mixed%d", 9+i), b1, b3, bd, bp)
	}
	if o.IncludeTop {
		x = n.globalPool(true, "avg_pool", x)
		return in, n.dense("predictions", x, o.Classes, o.topAct())
	}
	return in, n.pooling(x, o.Pooling, n.auto("global_average_pooling2d"), n.auto("global_max_pooling2d"))
}

// buildMobileNet writes keras.applications.MobileNet (V1): stride-2
// depthwise convolutions pad ((0, 1), (0, 1)) then run "valid"; the top is
// a 1x1 convolution on the pooled features.
func buildMobileNet(n *net, o Options) (tensor, tensor) {
	in := n.input("input_1", o.InputH, o.InputW)
	width := func(f int) int { return int(float64(f) * o.Alpha) }
	x := n.conv("conv1", in, width(32), 3, 3, 2, true, false, "linear")
	x = n.bn("conv1_bn", x, 1e-3, 0.99, true)
	x = n.relu6("conv1_relu", x)
	type blk struct{ filters, stride int }
	blocks := []blk{{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},
		{512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}}
	for i, b := range blocks {
		id := i + 1
		if b.stride == 2 {
			x = n.zeroPad(fmt.Sprintf("conv_pad_%d", id), x, 0, 1, 0, 1)
		}
		x = n.depthwise(fmt.Sprintf("conv_dw_%d", id), x, 3, b.stride, b.stride == 1)
		x = n.bn(fmt.Sprintf("conv_dw_%d_bn", id), x, 1e-3, 0.99, true)
		x = n.relu6(fmt.Sprintf("conv_dw_%d_relu", id), x)
		x = n.conv(fmt.Sprintf("conv_pw_%d", id), x, width(b.filters), 1, 1, 1, true, false, "linear")
		x = n.bn(fmt.Sprintf("conv_pw_%d_bn", id), x, 1e-3, 0.99, true)
		x = n.relu6(fmt.Sprintf("conv_pw_%d_relu", id), x)
	}
	if !o.IncludeTop {
		return in, n.pooling(x, o.Pooling, n.auto("global_average_pooling2d"), n.auto("global_max_pooling2d"))
	}
	ch := x.channels()
	x = n.globalPool(true, n.auto("global_average_pooling2d"), x)
	x = n.add("Reshape", "reshape_1", map[string]any{"target_shape": []int{1, 1, ch}}, []int{1, 1, ch}, x)
	x = n.add("Dropout", "dropout", map[string]any{"rate": 1e-3}, x.shape, x)
	x = n.conv("conv_preds", x, o.Classes, 1, 1, 1, true, true, "linear")
	x = n.add("Reshape", "reshape_2", map[string]any{"target_shape": []int{o.Classes}}, []int{o.Classes}, x)
	return in, n.act("predictions", x, o.topAct())
}

// makeDivisible is keras.applications' _make_divisible: v rounded to a
// multiple of divisor, never more than 10% below v.
func makeDivisible(v float64, divisor int) int {
	nv := max(divisor, int(v+float64(divisor)/2)/divisor*divisor)
	if float64(nv) < 0.9*v {
		nv += divisor
	}
	return nv
}

// correctPad is keras.applications' correct_pad for a k×k kernel (k odd):
// k/2 rows/columns after, and as many before less one where the size is
// even.
func correctPad(x tensor, k int) (t, b, l, r int) {
	return k/2 - 1 + x.shape[0]%2, k / 2, k/2 - 1 + x.shape[1]%2, k / 2
}

// buildMobileNetV2 writes keras.applications.MobileNetV2.
func buildMobileNetV2(n *net, o Options) (tensor, tensor) {
	const eps, mom = 1e-3, 0.999
	in := n.input("input_1", o.InputH, o.InputW)
	x := n.conv("Conv1", in, makeDivisible(32*o.Alpha, 8), 3, 3, 2, true, false, "linear")
	x = n.bn("bn_Conv1", x, eps, mom, true)
	x = n.relu6("Conv1_relu", x)
	type blk struct{ filters, stride, expansion int }
	blocks := []blk{{16, 1, 1}, {24, 2, 6}, {24, 1, 6}, {32, 2, 6}, {32, 1, 6}, {32, 1, 6},
		{64, 2, 6}, {64, 1, 6}, {64, 1, 6}, {64, 1, 6}, {96, 1, 6}, {96, 1, 6}, {96, 1, 6},
		{160, 2, 6}, {160, 1, 6}, {160, 1, 6}, {320, 1, 6}}
	for id, b := range blocks {
		inputs := x
		inC := x.channels()
		out := makeDivisible(float64(int(float64(b.filters)*o.Alpha)), 8)
		prefix := "expanded_conv_"
		if id > 0 {
			prefix = fmt.Sprintf("block_%d_", id)
			x = n.conv(prefix+"expand", x, b.expansion*inC, 1, 1, 1, true, false, "linear")
			x = n.bn(prefix+"expand_BN", x, eps, mom, true)
			x = n.relu6(prefix+"expand_relu", x)
		}
		if b.stride == 2 {
			t, bo, l, r := correctPad(x, 3)
			x = n.zeroPad(prefix+"pad", x, t, bo, l, r)
		}
		x = n.depthwise(prefix+"depthwise", x, 3, b.stride, b.stride == 1)
		x = n.bn(prefix+"depthwise_BN", x, eps, mom, true)
		x = n.relu6(prefix+"depthwise_relu", x)
		x = n.conv(prefix+"project", x, out, 1, 1, 1, true, false, "linear")
		x = n.bn(prefix+"project_BN", x, eps, mom, true)
		if inC == out && b.stride == 1 {
			x = n.merge("Add", prefix+"add", inputs, x)
		}
	}
	last := 1280
	if o.Alpha > 1 {
		last = makeDivisible(1280*o.Alpha, 8)
	}
	x = n.conv("Conv_1", x, last, 1, 1, 1, false, false, "linear")
	x = n.bn("Conv_1_bn", x, eps, mom, true)
	x = n.relu6("out_relu", x)
	if o.IncludeTop {
		x = n.globalPool(true, n.auto("global_average_pooling2d"), x)
		return in, n.dense("predictions", x, o.Classes, o.topAct())
	}
	return in, n.pooling(x, o.Pooling, n.auto("global_average_pooling2d"), n.auto("global_max_pooling2d"))
}
