package zoo

import (
	"fmt"

	"github.com/graft-ml/graft/nn"
)

// builder assembles a model's graph. Its methods add one node each and
// return the node's name, so an architecture reads as a sequence of layer
// calls; the first error sticks and later calls do nothing.
type builder struct {
	spec   Spec
	opt    Options
	g      *nn.Graph
	err    error
	seeds  uint64
	chans  map[string]int // output channels of each node
	blocks []Block
	head   []string
	inHead bool
	keras  map[string]string
	torch  torchLayout
	bnEps  float64 // for the model's BatchNorm convention
	bnMom  float64
	bnConv nn.BNConvention
	feat   string
}

// torchLayout is what LoadTorchStateDict needs beyond the node names.
type torchLayout struct {
	// chw names the Dense nodes fed by a flattened [H, W, C] map, whose
	// torchvision weights list their inputs in C, H, W order.
	chw map[string][3]int
	// ignore lists state-dict prefixes of torchvision modules the model
	// does not build (Inception's auxiliary classifier).
	ignore []string
}

// input is the name of every model's input placeholder.
const input = "input"

func newBuilder(spec Spec, opt Options) *builder {
	b := &builder{spec: spec, opt: opt, g: nn.NewGraph(), chans: map[string]int{},
		keras: map[string]string{}, torch: torchLayout{chw: map[string][3]int{}}}
	b.err = b.g.Input(input)
	b.chans[input] = 3
	return b
}

// bnStyle sets the BatchNorm epsilon and momentum: torchvision's and
// Keras's for this model (zero means the convention's default).
func (b *builder) bnStyle(torchEps, torchMom, kerasEps, kerasMom float64) {
	if b.opt.BNConvention == BNKeras {
		b.bnConv, b.bnEps, b.bnMom = nn.BNKeras, kerasEps, kerasMom
		return
	}
	b.bnConv, b.bnEps, b.bnMom = nn.BNPyTorch, torchEps, torchMom
}

// block starts a new stage of the base.
func (b *builder) block(name string) { b.blocks = append(b.blocks, Block{Name: name}) }

func (b *builder) seed() uint64 {
	b.seeds++
	z := b.opt.Seed*0x9e3779b97f4a7c15 + b.seeds*0xbf58476d1ce4e5b9
	z ^= z >> 31
	return z * 0x94d049bb133111eb
}

// add appends a node with c output channels.
func (b *builder) add(name string, l nn.Layer, c int, inputs ...string) string {
	if b.err != nil {
		return name
	}
	if err := b.g.Add(name, l, inputs...); err != nil {
		b.err = err
		return name
	}
	b.chans[name] = c
	switch {
	case b.inHead:
		b.head = append(b.head, name)
	case len(b.blocks) > 0:
		blk := &b.blocks[len(b.blocks)-1]
		blk.Nodes = append(blk.Nodes, name)
	}
	return name
}

func (b *builder) fail(err error) string {
	if b.err == nil {
		b.err = err
	}
	return ""
}

// ch returns a node's output channels.
func (b *builder) ch(node string) int { return b.chans[node] }

// conv2d is PyTorch's nn.Conv2d(in, out, k, stride, padding, bias=False):
// a square kernel with symmetric padding.
func conv2d(out, k, stride, pad int) nn.Conv2DConfig {
	return nn.Conv2DConfig{Filters: out, KernelH: k, KernelW: k, StrideH: stride, StrideW: stride,
		Padding: nn.PadSymmetric(pad, pad), NoBias: true}
}

// conv adds a convolution of in; c.InChannels is filled in.
func (b *builder) conv(name, in string, c nn.Conv2DConfig) string {
	if b.err != nil {
		return name
	}
	c.InChannels = b.ch(in)
	c.Init, c.Seed = nn.InitHeNormal, b.seed()
	l, err := nn.NewConv2D(name, c)
	if err != nil {
		return b.fail(err)
	}
	return b.add(name, l, c.Filters, in)
}

// dwconv adds a k×k depthwise convolution without bias.
func (b *builder) dwconv(name, in string, k, stride int, pad nn.Padding) string {
	if b.err != nil {
		return name
	}
	c := nn.DepthwiseConv2DConfig{Channels: b.ch(in), KernelH: k, KernelW: k, StrideH: stride, StrideW: stride,
		Padding: pad, NoBias: true, Init: nn.InitHeNormal, Seed: b.seed()}
	l, err := nn.NewDepthwiseConv2D(name, c)
	if err != nil {
		return b.fail(err)
	}
	return b.add(name, l, c.Channels, in)
}

// bn adds a BatchNorm in the model's convention.
func (b *builder) bn(name, in string) string {
	return b.bnWith(name, in, false)
}

// bnWith adds a BatchNorm, without gamma when noScale (Keras Inception V3).
func (b *builder) bnWith(name, in string, noScale bool) string {
	if b.err != nil {
		return name
	}
	l, err := nn.NewBatchNorm(name, nn.BatchNormConfig{Channels: b.ch(in), Convention: b.bnConv,
		Epsilon: b.bnEps, Momentum: b.bnMom, NoScale: noScale})
	if err != nil {
		return b.fail(err)
	}
	return b.add(name, l, b.ch(in), in)
}

// dense adds a fully connected layer with out outputs.
func (b *builder) dense(name, in string, out int) string {
	if b.err != nil {
		return name
	}
	l, err := nn.NewDense(name, nn.DenseConfig{In: b.ch(in), Out: out, Init: nn.InitTorchDefault, Seed: b.seed()})
	if err != nil {
		return b.fail(err)
	}
	return b.add(name, l, out, in)
}

// act adds an element-wise activation, which keeps the channel count.
func (b *builder) act(l *nn.Activation, in string) string { return b.add(l.Name(), l, b.ch(in), in) }

func (b *builder) relu(name, in string) string  { return b.act(nn.NewReLU(name), in) }
func (b *builder) relu6(name, in string) string { return b.act(nn.NewReLU6(name), in) }
func (b *builder) swish(name, in string) string { return b.act(nn.NewSwish(name), in) }
func (b *builder) hswish(name, in string) string {
	return b.act(nn.NewHardSwish(name), in)
}

// activation adds ReLU, ReLU6, Swish (SiLU), HardSwish or the Sigmoid /
// HardSigmoid gates by torch's module name.
func (b *builder) activation(kind, name, in string) string {
	switch kind {
	case "relu":
		return b.relu(name, in)
	case "relu6":
		return b.relu6(name, in)
	case "silu":
		return b.swish(name, in)
	case "hardswish":
		return b.hswish(name, in)
	case "sigmoid":
		return b.act(nn.NewSigmoid(name), in)
	case "hardsigmoid":
		return b.act(nn.NewHardSigmoid(name, nn.HardSigmoidTorch, 0.5), in)
	}
	return b.fail(fmt.Errorf("%s: unknown activation %q", name, kind))
}

// sum adds the element-wise sum of the inputs.
func (b *builder) sum(name string, ins ...string) string {
	return b.add(name, nn.NewAdd(name), b.ch(ins[0]), ins...)
}

// concat joins the inputs along channels.
func (b *builder) concat(name string, ins ...string) string {
	c := 0
	for _, in := range ins {
		c += b.ch(in)
	}
	return b.add(name, nn.NewConcat(name), c, ins...)
}

// maxPool adds a k×k max pooling with symmetric padding.
func (b *builder) maxPool(name, in string, k, stride, pad int, ceil bool) string {
	if b.err != nil {
		return name
	}
	l, err := nn.NewMaxPool2D(name, nn.Pool2DConfig{PoolH: k, PoolW: k, StrideH: stride, StrideW: stride,
		Padding: nn.PadSymmetric(pad, pad), CeilMode: ceil})
	if err != nil {
		return b.fail(err)
	}
	return b.add(name, l, b.ch(in), in)
}

// avgPool adds PyTorch's avg_pool2d (padding counted in the divisor).
func (b *builder) avgPool(name, in string, k, stride, pad int) string {
	if b.err != nil {
		return name
	}
	l, err := nn.NewAvgPool2D(name, nn.Pool2DConfig{PoolH: k, PoolW: k, StrideH: stride, StrideW: stride,
		Padding: nn.PadSymmetric(pad, pad), CountIncludePad: true})
	if err != nil {
		return b.fail(err)
	}
	return b.add(name, l, b.ch(in), in)
}

// globalAvg adds a global average pooling ([N, C], or [N, 1, 1, C] with keep).
func (b *builder) globalAvg(name, in string, keep bool) string {
	return b.add(name, nn.NewGlobalAvgPool(name, keep), b.ch(in), in)
}

// dropout adds a dropout layer (identity at inference).
func (b *builder) dropout(name, in string, rate float64) string {
	if b.err != nil {
		return name
	}
	l, err := nn.NewDropout(name, rate, b.seed())
	if err != nil {
		return b.fail(err)
	}
	return b.add(name, l, b.ch(in), in)
}

// flatten adds a reshape to [N, H*W*C].
func (b *builder) flatten(name, in string, h, w int) string {
	return b.add(name, nn.NewFlatten(name), h*w*b.ch(in), in)
}

// kerasName records the Keras layer name of a node.
func (b *builder) kerasName(node, keras string) { b.keras[node] = keras }

// base ends the base at node feature and adds either the classifier (top)
// or the global pooling the options ask for.
func (b *builder) base(feature string, top func(in string) string) {
	b.feat = feature
	b.inHead = true
	out := feature
	switch {
	case b.opt.IncludeTop:
		out = top(feature)
	case b.opt.Pooling == "avg":
		out = b.globalAvg("avg_pool", feature, false)
	case b.opt.Pooling == "max":
		out = b.add("max_pool", nn.NewGlobalMaxPool("max_pool", false), b.ch(feature), feature)
	}
	if b.err == nil {
		b.err = b.g.SetOutputs(out)
	}
}

// model returns the built model.
func (b *builder) model() *Model {
	m := &Model{Name: b.spec.Name, Graph: b.g, InputH: b.opt.InputH, InputW: b.opt.InputW,
		Blocks: b.blocks, Head: b.head, FeatureNode: b.feat, Spec: b.spec, torch: b.torch}
	if len(b.keras) > 0 {
		m.KerasNames = b.keras
	}
	m.Preprocess = b.spec.Preprocess
	m.Preprocess.Height, m.Preprocess.Width = b.opt.InputH, b.opt.InputW
	if b.opt.IncludeTop && b.opt.Classes == 1000 {
		m.Labels = ImageNetLabels()
	}
	return m
}
