package keras

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"strings"

	"github.com/graft-ml/graft/nn"
)

// baseConfig holds the fields every layer config may carry.
type baseConfig struct {
	Trainable  *bool          `json:"trainable"`
	DataFormat string         `json:"data_format"`
	Activation activationName `json:"activation"`
	UseBias    *bool          `json:"use_bias"`
}

// convConfig covers Conv2D, DepthwiseConv2D and SeparableConv2D.
type convConfig struct {
	Filters         int    `json:"filters"`
	KernelSize      ints   `json:"kernel_size"`
	Strides         ints   `json:"strides"`
	Padding         string `json:"padding"`
	DilationRate    ints   `json:"dilation_rate"`
	Groups          int    `json:"groups"`
	DepthMultiplier int    `json:"depth_multiplier"`
}

// layerCall is what a converter needs to build one layer.
type layerCall struct {
	b     *builder
	class string
	raw   json.RawMessage
	lp    []string
	ins   []value
	base  baseConfig
	nodes []string
	slots []slot
}

// convert builds the graph nodes of one Keras layer called on ins.
func (b *builder) convert(class string, raw json.RawMessage, lp []string, ins []value) (value, error) {
	c := &layerCall{b: b, class: class, raw: raw, lp: lp, ins: ins}
	if err := json.Unmarshal(raw, &c.base); err != nil {
		return value{}, fmt.Errorf("config: %w", err)
	}
	if f := c.base.DataFormat; f != "" && f != "channels_last" {
		return value{}, fmt.Errorf("data_format %q: only channels_last is supported", f)
	}
	conv, ok := converters[class]
	if !ok {
		return value{}, fmt.Errorf("unsupported layer class %q", class)
	}
	v, finish, err := conv(c)
	if err != nil {
		return value{}, err
	}
	trainable := c.base.Trainable == nil || *c.base.Trainable
	b.info(lp, class, c.nodes, v.shape, c.slots, trainable)
	if len(c.slots) > 0 || finish != nil {
		b.m.layers = append(b.m.layers, &kerasLayer{path: lp, class: class, slots: c.slots, finish: finish})
	}
	return v, nil
}

// converter builds one layer class; finish, if not nil, runs after the
// weights are loaded.
type converter func(c *layerCall) (v value, finish func() error, err error)

var converters map[string]converter

func init() {
	converters = map[string]converter{
		"Conv2D":                 convConv2D,
		"Convolution2D":          convConv2D,
		"DepthwiseConv2D":        convDepthwise,
		"SeparableConv2D":        convSeparable,
		"SeparableConvolution2D": convSeparable,
		"Dense":                  convDense,
		"BatchNormalization":     convBatchNorm,
		"Activation":             convActivation,
		"ReLU":                   convReLU,
		"LeakyReLU":              convLeakyReLU,
		"Softmax":                convSoftmax,
		"MaxPooling2D":           convPool(false),
		"MaxPool2D":              convPool(false),
		"AveragePooling2D":       convPool(true),
		"AvgPool2D":              convPool(true),
		"GlobalAveragePooling2D": convGlobalPool(true),
		"GlobalAvgPool2D":        convGlobalPool(true),
		"GlobalMaxPooling2D":     convGlobalPool(false),
		"GlobalMaxPool2D":        convGlobalPool(false),
		"ZeroPadding2D":          convZeroPadding,
		"Flatten":                convFlatten,
		"Reshape":                convReshape,
		"Dropout":                convDropout,
		"Add":                    convMerge("Add"),
		"Multiply":               convMerge("Multiply"),
		"Concatenate":            convConcat,
		"Rescaling":              convRescaling,
		"Normalization":          convNormalization,
	}
}

// decode reads the class-specific fields of the config into dst.
func (c *layerCall) decode(dst any) error {
	if err := json.Unmarshal(c.raw, dst); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// one returns the single input, checking its rank when rank > 0.
func (c *layerCall) one(rank int) (value, error) {
	if len(c.ins) != 1 {
		return value{}, fmt.Errorf("called on %d inputs, want 1", len(c.ins))
	}
	v := c.ins[0]
	if rank > 0 && len(v.shape) != rank {
		return value{}, fmt.Errorf("input shape %v: want %d axes per example", v.shape, rank)
	}
	return v, nil
}

// lastDim returns the input's known channel count.
func lastDim(v value) (int, error) {
	if len(v.shape) == 0 || v.shape[len(v.shape)-1] < 1 {
		return 0, fmt.Errorf("input shape %v: the last axis must have a known size", v.shape)
	}
	return v.shape[len(v.shape)-1], nil
}

// maxWeights bounds the weight values a config may ask for, so that a
// hostile config cannot make the builder allocate without limit.
var maxWeights int64 = 1 << 28

// reserveWeights counts the weight values of a layer about to be built
// against maxWeights; dims are multiplied with overflow checks.
func (c *layerCall) reserveWeights(dims ...int) error {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return fmt.Errorf("weight size %v: negative", dims)
		}
		if d > 0 && n > maxWeights/int64(d) {
			return fmt.Errorf("weights of size %v exceed the limit of %d values", dims, maxWeights)
		}
		n *= int64(d)
	}
	c.b.weights += n
	if c.b.weights > maxWeights {
		return fmt.Errorf("the model's weights exceed the limit of %d values", maxWeights)
	}
	return nil
}

// add puts layer on the graph as node name over the inputs' nodes.
func (c *layerCall) add(name string, layer nn.Layer, ins []value, shape []int) (value, error) {
	nodes := make([]string, len(ins))
	for i, v := range ins {
		nodes[i] = v.node
	}
	if err := c.b.g.Add(name, layer, nodes...); err != nil {
		return value{}, err
	}
	c.nodes = append(c.nodes, name)
	return value{node: name, shape: shape}, nil
}

// main returns the graph node name of the layer's main node.
func (c *layerCall) main() string { return c.b.nodeName(c.lp) }

// fused appends the config's activation after v.
func (c *layerCall) fused(v value) (value, error) {
	act := string(c.base.Activation)
	if act == "" || act == "linear" {
		return v, nil
	}
	layer, err := c.activation(act, c.b.auxName(v.node, act))
	if err != nil {
		return value{}, err
	}
	return c.add(layer.Name(), layer, []value{v}, v.shape)
}

// activation builds the named Keras activation function.
func (c *layerCall) activation(act, name string) (nn.Layer, error) {
	switch act {
	case "relu":
		return nn.NewReLU(name), nil
	case "relu6":
		return nn.NewReLU6(name), nil
	case "sigmoid":
		return nn.NewSigmoid(name), nil
	case "swish", "silu":
		return nn.NewSwish(name), nil
	case "hard_sigmoid":
		if c.b.m.version >= 3 {
			return nn.NewHardSigmoid(name, nn.HardSigmoidTorch, 0.5), nil
		}
		return nn.NewHardSigmoid(name, 0.2, 0.5), nil
	case "hard_swish", "hard_silu":
		return nn.NewHardSwish(name), nil
	case "softmax":
		return nn.NewSoftmax(name), nil
	case "linear":
		return nil, fmt.Errorf("internal: linear activation has no layer")
	}
	return nil, fmt.Errorf("activation %q is not supported (supported: relu, relu6, sigmoid, swish, silu, hard_sigmoid, hard_swish, softmax, linear)", act)
}

// useBias reads use_bias (default true).
func (c *layerCall) useBias() bool { return c.base.UseBias == nil || *c.base.UseBias }

// padding converts "same" or "valid".
func padding(s string) (nn.Padding, bool, error) {
	switch strings.ToLower(s) {
	case "same":
		return nn.PadSame(), true, nil
	case "valid", "":
		return nn.PadValid(), false, nil
	}
	return nn.Padding{}, false, fmt.Errorf("padding %q: want \"same\" or \"valid\"", s)
}

// windowOut is the output size of a window over in (-1 stays -1).
func windowOut(in, k, s, d int, same bool) int {
	if in < 0 {
		return -1
	}
	if same {
		return (in + s - 1) / s
	}
	eff := (k-1)*d + 1
	if in < eff {
		return 0
	}
	return (in-eff)/s + 1
}

// window reads kernel, strides and dilations for a 2-D window layer.
type window struct {
	kh, kw, sh, sw, dh, dw int
	pad                    nn.Padding
	same                   bool
}

func (cc *convConfig) window() (window, error) {
	var w window
	var err error
	if w.kh, w.kw, err = cc.KernelSize.pair("kernel_size", 0); err != nil {
		return w, err
	}
	if w.sh, w.sw, err = cc.Strides.pair("strides", 1); err != nil {
		return w, err
	}
	if w.dh, w.dw, err = cc.DilationRate.pair("dilation_rate", 1); err != nil {
		return w, err
	}
	if w.pad, w.same, err = padding(cc.Padding); err != nil {
		return w, err
	}
	if w.kh < 1 || w.kw < 1 || w.sh < 1 || w.sw < 1 || w.dh < 1 || w.dw < 1 {
		return w, fmt.Errorf("kernel %dx%d, strides %dx%d, dilation %dx%d: all must be positive", w.kh, w.kw, w.sh, w.sw, w.dh, w.dw)
	}
	return w, nil
}

func (w window) outShape(in []int, ch int) []int {
	return []int{windowOut(in[0], w.kh, w.sh, w.dh, w.same), windowOut(in[1], w.kw, w.sw, w.dw, w.same), ch}
}

func convConv2D(c *layerCall) (value, func() error, error) {
	x, err := c.one(3)
	if err != nil {
		return value{}, nil, err
	}
	var cc convConfig
	if err := c.decode(&cc); err != nil {
		return value{}, nil, err
	}
	w, err := cc.window()
	if err != nil {
		return value{}, nil, err
	}
	inC, err := lastDim(x)
	if err != nil {
		return value{}, nil, err
	}
	if cc.Filters < 1 {
		return value{}, nil, fmt.Errorf("filters %d: must be positive", cc.Filters)
	}
	if err := c.reserveWeights(w.kh, w.kw, inC, cc.Filters); err != nil {
		return value{}, nil, err
	}
	name := c.main()
	conv, err := nn.NewConv2D(name, nn.Conv2DConfig{InChannels: inC, Filters: cc.Filters, KernelH: w.kh, KernelW: w.kw,
		StrideH: w.sh, StrideW: w.sw, DilationH: w.dh, DilationW: w.dw, Padding: w.pad, Groups: max(cc.Groups, 1),
		NoBias: !c.useBias(), Init: nn.InitZeros})
	if err != nil {
		return value{}, nil, err
	}
	c.slots = append(c.slots, slot{"kernel", conv.Kernel})
	if conv.Bias != nil {
		c.slots = append(c.slots, slot{"bias", conv.Bias})
	}
	v, err := c.add(name, conv, c.ins, w.outShape(x.shape, cc.Filters))
	if err != nil {
		return value{}, nil, err
	}
	v, err = c.fused(v)
	return v, nil, err
}

func convDepthwise(c *layerCall) (value, func() error, error) {
	x, err := c.one(3)
	if err != nil {
		return value{}, nil, err
	}
	var cc convConfig
	if err := c.decode(&cc); err != nil {
		return value{}, nil, err
	}
	w, err := cc.window()
	if err != nil {
		return value{}, nil, err
	}
	inC, err := lastDim(x)
	if err != nil {
		return value{}, nil, err
	}
	m := max(cc.DepthMultiplier, 1)
	if err := c.reserveWeights(w.kh, w.kw, inC, m); err != nil {
		return value{}, nil, err
	}
	name := c.main()
	dw, err := nn.NewDepthwiseConv2D(name, nn.DepthwiseConv2DConfig{Channels: inC, Multiplier: m, KernelH: w.kh, KernelW: w.kw,
		StrideH: w.sh, StrideW: w.sw, DilationH: w.dh, DilationW: w.dw, Padding: w.pad, NoBias: !c.useBias(), Init: nn.InitZeros})
	if err != nil {
		return value{}, nil, err
	}
	c.slots = append(c.slots, slot{"depthwise_kernel", dw.Kernel})
	if dw.Bias != nil {
		c.slots = append(c.slots, slot{"bias", dw.Bias})
	}
	v, err := c.add(name, dw, c.ins, w.outShape(x.shape, inC*m))
	if err != nil {
		return value{}, nil, err
	}
	v, err = c.fused(v)
	return v, nil, err
}

// convSeparable builds SeparableConv2D as a depthwise convolution (node
// "<name>_depthwise") followed by a 1x1 convolution (node "<name>").
func convSeparable(c *layerCall) (value, func() error, error) {
	x, err := c.one(3)
	if err != nil {
		return value{}, nil, err
	}
	var cc convConfig
	if err := c.decode(&cc); err != nil {
		return value{}, nil, err
	}
	w, err := cc.window()
	if err != nil {
		return value{}, nil, err
	}
	inC, err := lastDim(x)
	if err != nil {
		return value{}, nil, err
	}
	if cc.Filters < 1 {
		return value{}, nil, fmt.Errorf("filters %d: must be positive", cc.Filters)
	}
	m := max(cc.DepthMultiplier, 1)
	if err := c.reserveWeights(w.kh, w.kw, inC, m); err != nil {
		return value{}, nil, err
	}
	if err := c.reserveWeights(inC, m, cc.Filters); err != nil {
		return value{}, nil, err
	}
	name := c.main()
	dname := c.b.auxName(name, "depthwise")
	dw, err := nn.NewDepthwiseConv2D(dname, nn.DepthwiseConv2DConfig{Channels: inC, Multiplier: m, KernelH: w.kh, KernelW: w.kw,
		StrideH: w.sh, StrideW: w.sw, DilationH: w.dh, DilationW: w.dw, Padding: w.pad, NoBias: true, Init: nn.InitZeros})
	if err != nil {
		return value{}, nil, err
	}
	pw, err := nn.NewConv2D(name, nn.Conv2DConfig{InChannels: inC * m, Filters: cc.Filters, KernelH: 1, KernelW: 1,
		NoBias: !c.useBias(), Init: nn.InitZeros})
	if err != nil {
		return value{}, nil, err
	}
	c.slots = append(c.slots, slot{"depthwise_kernel", dw.Kernel}, slot{"pointwise_kernel", pw.Kernel})
	if pw.Bias != nil {
		c.slots = append(c.slots, slot{"bias", pw.Bias})
	}
	d, err := c.add(dname, dw, c.ins, w.outShape(x.shape, inC*m))
	if err != nil {
		return value{}, nil, err
	}
	v, err := c.add(name, pw, []value{d}, []int{d.shape[0], d.shape[1], cc.Filters})
	if err != nil {
		return value{}, nil, err
	}
	v, err = c.fused(v)
	return v, nil, err
}

func convDense(c *layerCall) (value, func() error, error) {
	x, err := c.one(0)
	if err != nil {
		return value{}, nil, err
	}
	var dc struct {
		Units int `json:"units"`
	}
	if err := c.decode(&dc); err != nil {
		return value{}, nil, err
	}
	in, err := lastDim(x)
	if err != nil {
		return value{}, nil, err
	}
	if err := c.reserveWeights(in, dc.Units); err != nil {
		return value{}, nil, err
	}
	name := c.main()
	d, err := nn.NewDense(name, nn.DenseConfig{In: in, Out: dc.Units, NoBias: !c.useBias(), Init: nn.InitZeros})
	if err != nil {
		return value{}, nil, err
	}
	c.slots = append(c.slots, slot{"kernel", d.Kernel})
	if d.Bias != nil {
		c.slots = append(c.slots, slot{"bias", d.Bias})
	}
	shape := append(append([]int(nil), x.shape[:len(x.shape)-1]...), dc.Units)
	v, err := c.add(name, d, c.ins, shape)
	if err != nil {
		return value{}, nil, err
	}
	v, err = c.fused(v)
	return v, nil, err
}

// lastAxis checks that an "axis" setting names the last axis of a tensor
// with rank axes per example (batch axis counted by Keras).
func lastAxis(raw json.RawMessage, rank int) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var axes ints
	if err := json.Unmarshal(raw, &axes); err != nil {
		return fmt.Errorf("axis: %w", err)
	}
	if len(axes) != 1 || (axes[0] != -1 && axes[0] != rank) {
		return fmt.Errorf("axis %v: only the last axis (-1 or %d) is supported", []int(axes), rank)
	}
	return nil
}

func convBatchNorm(c *layerCall) (value, func() error, error) {
	x, err := c.one(0)
	if err != nil {
		return value{}, nil, err
	}
	var bc struct {
		Axis     json.RawMessage `json:"axis"`
		Momentum *float64        `json:"momentum"`
		Epsilon  *float64        `json:"epsilon"`
		Center   *bool           `json:"center"`
		Scale    *bool           `json:"scale"`
	}
	if err := c.decode(&bc); err != nil {
		return value{}, nil, err
	}
	if err := lastAxis(bc.Axis, len(x.shape)); err != nil {
		return value{}, nil, err
	}
	ch, err := lastDim(x)
	if err != nil {
		return value{}, nil, err
	}
	if err := c.reserveWeights(4, ch); err != nil {
		return value{}, nil, err
	}
	cfg := nn.BatchNormConfig{Channels: ch, Convention: nn.BNKeras, Momentum: 0.99, Epsilon: 1e-3,
		NoScale: bc.Scale != nil && !*bc.Scale, NoCenter: bc.Center != nil && !*bc.Center}
	if bc.Momentum != nil {
		cfg.Momentum = *bc.Momentum
	}
	if bc.Epsilon != nil {
		if *bc.Epsilon <= 0 {
			return value{}, nil, fmt.Errorf("epsilon %g: must be positive", *bc.Epsilon)
		}
		cfg.Epsilon = *bc.Epsilon
	}
	name := c.main()
	bn, err := nn.NewBatchNorm(name, cfg)
	if err != nil {
		return value{}, nil, err
	}
	if bn.Gamma != nil {
		c.slots = append(c.slots, slot{"gamma", bn.Gamma})
	}
	if bn.Beta != nil {
		c.slots = append(c.slots, slot{"beta", bn.Beta})
	}
	c.slots = append(c.slots, slot{"moving_mean", bn.MovingMean}, slot{"moving_variance", bn.MovingVariance})
	v, err := c.add(name, bn, c.ins, x.shape)
	return v, nil, err
}

// identity records a layer that computes nothing at inference.
func (c *layerCall) identity() (value, func() error, error) {
	x, err := c.one(0)
	return x, nil, err
}

func convActivation(c *layerCall) (value, func() error, error) {
	x, err := c.one(0)
	if err != nil {
		return value{}, nil, err
	}
	act := string(c.base.Activation)
	if act == "linear" || act == "" {
		return c.identity()
	}
	layer, err := c.activation(act, c.main())
	if err != nil {
		return value{}, nil, err
	}
	v, err := c.add(layer.Name(), layer, c.ins, x.shape)
	return v, nil, err
}

func convReLU(c *layerCall) (value, func() error, error) {
	x, err := c.one(0)
	if err != nil {
		return value{}, nil, err
	}
	var rc struct {
		MaxValue      *float64 `json:"max_value"`
		NegativeSlope *float64 `json:"negative_slope"`
		Threshold     *float64 `json:"threshold"`
	}
	if err := c.decode(&rc); err != nil {
		return value{}, nil, err
	}
	slope, thr := 0.0, 0.0
	if rc.NegativeSlope != nil {
		slope = *rc.NegativeSlope
	}
	if rc.Threshold != nil {
		thr = *rc.Threshold
	}
	var layer nn.Layer
	switch {
	case thr != 0:
		return value{}, nil, fmt.Errorf("threshold %g: only 0 is supported", thr)
	case rc.MaxValue == nil && slope == 0:
		layer = nn.NewReLU(c.main())
	case rc.MaxValue != nil && *rc.MaxValue == 6 && slope == 0:
		layer = nn.NewReLU6(c.main())
	case rc.MaxValue == nil && slope > 0:
		layer = nn.NewLeakyReLU(c.main(), float32(slope))
	default:
		return value{}, nil, fmt.Errorf("max_value %v with negative_slope %g: only max_value 6 or none, or a slope without max_value, are supported", deref(rc.MaxValue), slope)
	}
	v, err := c.add(layer.Name(), layer, c.ins, x.shape)
	return v, nil, err
}

func deref(p *float64) any {
	if p == nil {
		return "None"
	}
	return *p
}

func convLeakyReLU(c *layerCall) (value, func() error, error) {
	x, err := c.one(0)
	if err != nil {
		return value{}, nil, err
	}
	var lc struct {
		Alpha         *float64 `json:"alpha"`
		NegativeSlope *float64 `json:"negative_slope"`
	}
	if err := c.decode(&lc); err != nil {
		return value{}, nil, err
	}
	alpha := 0.3
	if lc.NegativeSlope != nil {
		alpha = *lc.NegativeSlope
	} else if lc.Alpha != nil {
		alpha = *lc.Alpha
	}
	layer := nn.NewLeakyReLU(c.main(), float32(alpha))
	v, err := c.add(layer.Name(), layer, c.ins, x.shape)
	return v, nil, err
}

func convSoftmax(c *layerCall) (value, func() error, error) {
	x, err := c.one(0)
	if err != nil {
		return value{}, nil, err
	}
	var sc struct {
		Axis json.RawMessage `json:"axis"`
	}
	if err := c.decode(&sc); err != nil {
		return value{}, nil, err
	}
	if err := lastAxis(sc.Axis, len(x.shape)); err != nil {
		return value{}, nil, err
	}
	layer := nn.NewSoftmax(c.main())
	v, err := c.add(layer.Name(), layer, c.ins, x.shape)
	return v, nil, err
}

func convPool(avg bool) converter {
	return func(c *layerCall) (value, func() error, error) {
		x, err := c.one(3)
		if err != nil {
			return value{}, nil, err
		}
		var pc struct {
			PoolSize ints   `json:"pool_size"`
			Strides  ints   `json:"strides"`
			Padding  string `json:"padding"`
		}
		if err := c.decode(&pc); err != nil {
			return value{}, nil, err
		}
		var w window
		if w.kh, w.kw, err = pc.PoolSize.pair("pool_size", 2); err != nil {
			return value{}, nil, err
		}
		if w.sh, w.sw, err = pc.Strides.pair("strides", 0); err != nil {
			return value{}, nil, err
		}
		if w.sh == 0 && w.sw == 0 {
			w.sh, w.sw = w.kh, w.kw
		}
		if w.pad, w.same, err = padding(pc.Padding); err != nil {
			return value{}, nil, err
		}
		if w.kh < 1 || w.kw < 1 || w.sh < 1 || w.sw < 1 {
			return value{}, nil, fmt.Errorf("pool %dx%d, strides %dx%d: must be positive", w.kh, w.kw, w.sh, w.sw)
		}
		w.dh, w.dw = 1, 1
		cfg := nn.Pool2DConfig{PoolH: w.kh, PoolW: w.kw, StrideH: w.sh, StrideW: w.sw, Padding: w.pad}
		name := c.main()
		var layer nn.Layer
		if avg {
			layer, err = nn.NewAvgPool2D(name, cfg)
		} else {
			layer, err = nn.NewMaxPool2D(name, cfg)
		}
		if err != nil {
			return value{}, nil, err
		}
		v, err := c.add(name, layer, c.ins, w.outShape(x.shape, x.shape[2]))
		return v, nil, err
	}
}

func convGlobalPool(avg bool) converter {
	return func(c *layerCall) (value, func() error, error) {
		x, err := c.one(3)
		if err != nil {
			return value{}, nil, err
		}
		var gc struct {
			KeepDims bool `json:"keepdims"`
		}
		if err := c.decode(&gc); err != nil {
			return value{}, nil, err
		}
		name := c.main()
		var layer nn.Layer
		if avg {
			layer = nn.NewGlobalAvgPool(name, gc.KeepDims)
		} else {
			layer = nn.NewGlobalMaxPool(name, gc.KeepDims)
		}
		shape := []int{x.shape[2]}
		if gc.KeepDims {
			shape = []int{1, 1, x.shape[2]}
		}
		v, err := c.add(name, layer, c.ins, shape)
		return v, nil, err
	}
}

// zeroPadding decodes ZeroPadding2D's padding: n, [h, w] or [[t, b], [l, r]].
func zeroPadding(raw json.RawMessage) (t, b, l, r int, err error) {
	var flat ints
	if json.Unmarshal(raw, &flat) == nil {
		h, w, err := flat.pair("padding", 1)
		return h, h, w, w, err
	}
	var nested []ints
	if err := json.Unmarshal(raw, &nested); err != nil || len(nested) != 2 {
		return 0, 0, 0, 0, fmt.Errorf("padding %s: want n, [h, w] or [[top, bottom], [left, right]]", clip(raw))
	}
	if t, b, err = nested[0].pair("padding", 0); err != nil {
		return
	}
	l, r, err = nested[1].pair("padding", 0)
	return
}

func convZeroPadding(c *layerCall) (value, func() error, error) {
	x, err := c.one(3)
	if err != nil {
		return value{}, nil, err
	}
	var zc struct {
		Padding json.RawMessage `json:"padding"`
	}
	if err := c.decode(&zc); err != nil {
		return value{}, nil, err
	}
	t, b, l, r := 1, 1, 1, 1
	if len(zc.Padding) > 0 {
		if t, b, l, r, err = zeroPadding(zc.Padding); err != nil {
			return value{}, nil, err
		}
	}
	name := c.main()
	zp, err := nn.NewZeroPadding2D(name, t, b, l, r)
	if err != nil {
		return value{}, nil, err
	}
	grow := func(n, a, b int) int {
		if n < 0 {
			return -1
		}
		return n + a + b
	}
	v, err := c.add(name, zp, c.ins, []int{grow(x.shape[0], t, b), grow(x.shape[1], l, r), x.shape[2]})
	return v, nil, err
}

// product multiplies sizes; -1 if any is open.
func product(shape []int) int {
	p := 1
	for _, d := range shape {
		if d < 0 {
			return -1
		}
		p *= d
	}
	return p
}

func convFlatten(c *layerCall) (value, func() error, error) {
	x, err := c.one(0)
	if err != nil {
		return value{}, nil, err
	}
	if len(x.shape) == 1 {
		return c.identity()
	}
	name := c.main()
	v, err := c.add(name, nn.NewFlatten(name), c.ins, []int{product(x.shape)})
	return v, nil, err
}

func convReshape(c *layerCall) (value, func() error, error) {
	x, err := c.one(0)
	if err != nil {
		return value{}, nil, err
	}
	var rc struct {
		TargetShape ints `json:"target_shape"`
	}
	if err := c.decode(&rc); err != nil {
		return value{}, nil, err
	}
	if len(rc.TargetShape) == 0 {
		return value{}, nil, fmt.Errorf("no target_shape")
	}
	shape := append([]int(nil), rc.TargetShape...)
	open, known := -1, 1
	for i, d := range shape {
		switch {
		case d == -1 && open < 0:
			open = i
		case d < 1:
			return value{}, nil, fmt.Errorf("target_shape %v: sizes must be positive, with at most one -1", shape)
		case known > maxDim*maxDim/d:
			return value{}, nil, fmt.Errorf("target_shape %v: too large", shape)
		default:
			known *= d
		}
	}
	total := product(x.shape)
	switch {
	case open >= 0 && total > 0:
		if total%known != 0 {
			return value{}, nil, fmt.Errorf("cannot reshape %v to %v", x.shape, shape)
		}
		shape[open] = total / known
	case open < 0 && total > 0 && total != known:
		return value{}, nil, fmt.Errorf("cannot reshape %v (%d values) to %v", x.shape, total, shape)
	}
	name := c.main()
	v, err := c.add(name, nn.NewReshape(name, rc.TargetShape...), c.ins, shape)
	return v, nil, err
}

func convDropout(c *layerCall) (value, func() error, error) {
	x, err := c.one(0)
	if err != nil {
		return value{}, nil, err
	}
	var dc struct {
		Rate float64 `json:"rate"`
	}
	if err := c.decode(&dc); err != nil {
		return value{}, nil, err
	}
	name := c.main()
	h := fnv.New64a()
	h.Write([]byte(name))
	d, err := nn.NewDropout(name, dc.Rate, h.Sum64())
	if err != nil {
		return value{}, nil, err
	}
	v, err := c.add(name, d, c.ins, x.shape)
	return v, nil, err
}

// sameOrBroadcast returns the merged shape of Add/Multiply inputs.
func sameOrBroadcast(ins []value) ([]int, error) {
	out := ins[0].shape
	for _, v := range ins[1:] {
		switch {
		case equalOpen(v.shape, out):
		case len(out) == 3 && (len(v.shape) == 1 || len(v.shape) == 3 && v.shape[0] == 1 && v.shape[1] == 1) && v.shape[len(v.shape)-1] == out[2]:
		case len(v.shape) == 3 && (len(out) == 1 || len(out) == 3 && out[0] == 1 && out[1] == 1) && out[len(out)-1] == v.shape[2]:
			out = v.shape
		default:
			return nil, fmt.Errorf("input shapes %v and %v do not match", out, v.shape)
		}
	}
	return out, nil
}

// equalOpen compares shapes, an open size matching anything.
func equalOpen(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && a[i] >= 0 && b[i] >= 0 {
			return false
		}
	}
	return true
}

func convMerge(kind string) converter {
	return func(c *layerCall) (value, func() error, error) {
		if len(c.ins) < 2 {
			return value{}, nil, fmt.Errorf("called on %d inputs, want at least 2", len(c.ins))
		}
		shape, err := sameOrBroadcast(c.ins)
		if err != nil {
			return value{}, nil, err
		}
		name := c.main()
		var layer nn.Layer
		if kind == "Add" {
			layer = nn.NewAdd(name)
		} else {
			if len(c.ins) != 2 {
				return value{}, nil, fmt.Errorf("called on %d inputs; only 2 are supported", len(c.ins))
			}
			layer = nn.NewMultiply(name)
		}
		v, err := c.add(name, layer, c.ins, shape)
		return v, nil, err
	}
}

func convConcat(c *layerCall) (value, func() error, error) {
	if len(c.ins) < 1 {
		return value{}, nil, fmt.Errorf("called on no inputs")
	}
	var cc struct {
		Axis json.RawMessage `json:"axis"`
	}
	if err := c.decode(&cc); err != nil {
		return value{}, nil, err
	}
	rank := len(c.ins[0].shape)
	if err := lastAxis(cc.Axis, rank); err != nil {
		return value{}, nil, err
	}
	shape := append([]int(nil), c.ins[0].shape...)
	shape[rank-1] = 0
	for _, v := range c.ins {
		if len(v.shape) != rank || !equalOpen(v.shape[:rank-1], shape[:rank-1]) {
			return value{}, nil, fmt.Errorf("input shapes %v and %v cannot be joined on the last axis", c.ins[0].shape, v.shape)
		}
		if v.shape[rank-1] < 0 || shape[rank-1] < 0 {
			shape[rank-1] = -1
		} else {
			shape[rank-1] += v.shape[rank-1]
		}
	}
	name := c.main()
	v, err := c.add(name, nn.NewConcat(name), c.ins, shape)
	return v, nil, err
}

// f32s converts to float32.
func f32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, f := range v {
		out[i] = float32(f)
	}
	return out
}

func convRescaling(c *layerCall) (value, func() error, error) {
	x, err := c.one(0)
	if err != nil {
		return value{}, nil, err
	}
	var rc struct {
		Scale  floats `json:"scale"`
		Offset floats `json:"offset"`
	}
	if err := c.decode(&rc); err != nil {
		return value{}, nil, err
	}
	if len(rc.Scale) == 0 {
		rc.Scale = floats{1}
	}
	if len(rc.Offset) == 0 {
		rc.Offset = floats{0}
	}
	k := max(len(rc.Scale), len(rc.Offset))
	broadcast := func(v floats) (floats, error) {
		if len(v) == k {
			return v, nil
		}
		if len(v) != 1 {
			return nil, fmt.Errorf("scale has %d values and offset %d", len(rc.Scale), len(rc.Offset))
		}
		out := make(floats, k)
		for i := range out {
			out[i] = v[0]
		}
		return out, nil
	}
	if rc.Scale, err = broadcast(rc.Scale); err != nil {
		return value{}, nil, err
	}
	if rc.Offset, err = broadcast(rc.Offset); err != nil {
		return value{}, nil, err
	}
	if k > 1 && (len(x.shape) == 0 || x.shape[len(x.shape)-1] != k) {
		return value{}, nil, fmt.Errorf("%d scales for input shape %v", k, x.shape)
	}
	if err := c.reserveWeights(2, k); err != nil {
		return value{}, nil, err
	}
	name := c.main()
	a, err := NewAffine(name, f32s(rc.Scale), f32s(rc.Offset))
	if err != nil {
		return value{}, nil, err
	}
	v, err := c.add(name, a, c.ins, x.shape)
	return v, nil, err
}

// normalizationEpsilon is Keras's backend epsilon, the smallest standard
// deviation Normalization divides by.
const normalizationEpsilon = 1e-7

// convNormalization builds Normalization as an Affine layer whose scale and
// offset come from the mean and variance (config values or weights).
func convNormalization(c *layerCall) (value, func() error, error) {
	x, err := c.one(0)
	if err != nil {
		return value{}, nil, err
	}
	var nc struct {
		Axis     json.RawMessage `json:"axis"`
		Mean     floats          `json:"mean"`
		Variance floats          `json:"variance"`
		Invert   bool            `json:"invert"`
	}
	if err := c.decode(&nc); err != nil {
		return value{}, nil, err
	}
	if nc.Invert {
		return value{}, nil, fmt.Errorf("invert=True is not supported")
	}
	if err := lastAxis(nc.Axis, len(x.shape)); err != nil {
		return value{}, nil, err
	}
	ch, err := lastDim(x)
	if err != nil {
		return value{}, nil, err
	}
	if err := c.reserveWeights(4, ch); err != nil {
		return value{}, nil, err
	}
	ones := make([]float32, ch)
	a, err := NewAffine(c.main(), ones, make([]float32, ch))
	if err != nil {
		return value{}, nil, err
	}
	mean := &nn.Param{Name: "mean", Value: a.Offset.Value.Clone()}
	variance := &nn.Param{Name: "variance", Value: a.Scale.Value.Clone()}
	finish := func() error {
		for i := range ch {
			m, v := mean.Value.Data[i], variance.Value.Data[i]
			s := float32(1 / math.Max(math.Sqrt(math.Max(float64(v), 0)), normalizationEpsilon))
			a.Scale.Value.Data[i] = s
			a.Offset.Value.Data[i] = -m * s
		}
		return nil
	}
	if nc.Mean != nil || nc.Variance != nil {
		m, v := nc.Mean, nc.Variance
		if len(m) == 1 && ch > 1 {
			m = floats(repeat(m[0], ch))
		}
		if len(v) == 1 && ch > 1 {
			v = floats(repeat(v[0], ch))
		}
		if len(m) != ch || len(v) != ch {
			return value{}, nil, fmt.Errorf("%d means and %d variances for %d channels", len(nc.Mean), len(nc.Variance), ch)
		}
		copy(mean.Value.Data, f32s(m))
		copy(variance.Value.Data, f32s(v))
		if err := finish(); err != nil {
			return value{}, nil, err
		}
		v2, err := c.add(a.Name(), a, c.ins, x.shape)
		return v2, nil, err
	}
	count := &nn.Param{Name: "count", Value: newScalar()}
	c.slots = append(c.slots, slot{"mean", mean}, slot{"variance", variance}, slot{"count", count})
	v, err := c.add(a.Name(), a, c.ins, x.shape)
	return v, finish, err
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}
