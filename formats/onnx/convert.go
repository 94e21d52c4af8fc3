package onnx

import (
	"fmt"
	"strings"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// Network is an ONNX model converted to a trainable Graft graph. The graph
// takes NHWC input; InputDims keeps the model's own NCHW dimensions (-1 for
// a symbolic one, usually the batch).
type Network struct {
	File      string
	Graph     *nn.Graph
	InputName string
	InputDims []int64
	Outputs   []string
	Opset     int64

	// largest is the most elements of one activation for a batch of one,
	// from the static shapes; -1 if some shape is not known.
	largest int64
}

// Supported lists the ONNX operators the converter handles.
var Supported = []string{"Conv", "BatchNormalization", "Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid",
	"HardSwish", "Mul", "Add", "Sub", "Div", "Concat", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
	"ReduceMean", "ReduceMax", "Gemm", "MatMul", "Flatten", "Reshape", "Pad", "Dropout", "Softmax", "Identity",
	"Constant", "Shape"}

// SupportedOnConstants lists the operators the converter evaluates only when
// all their inputs are constants (shape arithmetic).
var SupportedOnConstants = []string{"ConstantOfShape", "Gather", "Slice", "Squeeze", "Unsqueeze", "Transpose", "Cast", "Neg"}

// Load reads an ONNX file and converts it to a Graft graph.
func Load(file string) (*Network, error) {
	m, err := Parse(file)
	if err != nil {
		return nil, err
	}
	net, err := Convert(m)
	if err != nil {
		return nil, fmt.Errorf("onnx: %s: %w", file, err)
	}
	net.File = file
	return net, nil
}

// value is what the converter knows about one ONNX tensor name.
type value struct {
	node  string  // Graft node producing it
	shape []int64 // static shape in ONNX's terms (NCHW for images), -1 where unknown
	konst *constant
}

// rank is the tensor's rank in ONNX's terms (4 for NCHW images).
func (v *value) rank() int { return len(v.shape) }

type converter struct {
	largest int64 // see Network.largest
	g       *nn.Graph
	inits   map[string]*TensorProto
	vals    map[string]*value
	used    map[string]bool
	opset   int64
	anon    int
}

// Convert builds a Graft graph from a decoded ONNX model.
func Convert(m *Model) (*Network, error) {
	c := &converter{g: nn.NewGraph(), inits: map[string]*TensorProto{}, vals: map[string]*value{}, used: map[string]bool{}}
	c.opset = m.Opsets[""]
	if c.opset == 0 {
		c.opset = m.Opsets["ai.onnx"]
	}
	for i := range m.Graph.Initializers {
		t := &m.Graph.Initializers[i]
		c.inits[t.Name] = t
	}
	net := &Network{Graph: c.g, Opset: c.opset}
	for _, in := range m.Graph.Inputs {
		if _, isInit := c.inits[in.Name]; isInit {
			continue // old exporters list initializers as inputs too
		}
		if net.InputName != "" {
			return nil, fmt.Errorf("graph input %q: only models with one input are supported (already have %q)", in.Name, net.InputName)
		}
		if in.ElemType != TypeFloat && in.ElemType != 0 {
			return nil, fmt.Errorf("graph input %q has element type %d; only float inputs are supported", in.Name, in.ElemType)
		}
		name := c.nodeName(in.Name)
		if err := c.g.Input(name); err != nil {
			return nil, err
		}
		c.vals[in.Name] = &value{node: name, shape: append([]int64(nil), in.Dims...)}
		net.InputName, net.InputDims = in.Name, in.Dims
	}
	if net.InputName == "" {
		return nil, fmt.Errorf("the graph has no input")
	}
	for i := range m.Graph.Nodes {
		n := &m.Graph.Nodes[i]
		if err := c.convert(n); err != nil {
			label := n.Name
			if label == "" && len(n.Outputs) > 0 {
				label = n.Outputs[0]
			}
			return nil, fmt.Errorf("node %s (%s): %w", label, n.OpType, err)
		}
	}
	var outs []string
	for _, o := range m.Graph.Outputs {
		v, ok := c.vals[o.Name]
		if !ok || v.konst != nil || v.node == "" {
			return nil, fmt.Errorf("graph output %q is not computed from the input", o.Name)
		}
		outs = append(outs, v.node)
		net.Outputs = append(net.Outputs, o.Name)
	}
	if len(outs) == 0 {
		return nil, fmt.Errorf("the graph has no output")
	}
	if err := c.g.SetOutputs(outs...); err != nil {
		return nil, err
	}
	net.largest = c.largest
	return net, nil
}

// nodeName turns an ONNX name into a unique Graft node name ('/' is not allowed).
func (c *converter) nodeName(s string) string {
	s = strings.Trim(strings.ReplaceAll(s, "/", "."), ".")
	if s == "" {
		c.anon++
		s = fmt.Sprintf("node_%d", c.anon)
	}
	base := s
	for k := 2; c.used[s]; k++ {
		s = fmt.Sprintf("%s_%d", base, k)
	}
	c.used[s] = true
	return s
}

// constOf returns the named input as a folded constant, if it is one.
func (c *converter) constOf(name string) (*constant, bool, error) {
	if v, ok := c.vals[name]; ok {
		return v.konst, v.konst != nil, nil
	}
	if t, ok := c.inits[name]; ok {
		k, err := constFromProto(t)
		if err != nil {
			return nil, false, err
		}
		c.vals[name] = &value{konst: &k, shape: k.dims}
		return &k, true, nil
	}
	return nil, false, nil
}

// weight returns a constant input as a float32 tensor in its ONNX layout.
func (c *converter) weight(n *Node, i int) (*tensor.Tensor, error) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return nil, nil
	}
	name := n.Inputs[i]
	if t, ok := c.inits[name]; ok {
		w, err := t.Float32()
		if err != nil {
			return nil, err
		}
		return w, nil
	}
	k, ok, err := c.constOf(name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("input %d (%s) must be a constant weight", i, name)
	}
	shape := make([]int, len(k.dims))
	for j, d := range k.dims {
		shape[j] = int(d)
	}
	w := tensor.New(shape...)
	if len(w.Data) != len(k.vals) {
		return nil, fmt.Errorf("constant %s: %d values for shape %v", name, len(k.vals), k.dims)
	}
	for j, v := range k.vals {
		w.Data[j] = float32(v)
	}
	return w, nil
}

// input returns the Graft node of a non-constant input.
func (c *converter) input(n *Node, i int) (*value, error) {
	if i >= len(n.Inputs) {
		return nil, fmt.Errorf("missing input %d", i)
	}
	v, ok := c.vals[n.Inputs[i]]
	if !ok {
		if _, isInit := c.inits[n.Inputs[i]]; isInit {
			return nil, fmt.Errorf("input %q is a constant; only computed tensors are supported here", n.Inputs[i])
		}
		return nil, fmt.Errorf("input %q is not defined before it is used", n.Inputs[i])
	}
	if v.konst != nil {
		return nil, fmt.Errorf("input %q is a constant; only computed tensors are supported here", n.Inputs[i])
	}
	return v, nil
}

// add appends a layer node for n's first output, whose static shape is shape.
func (c *converter) add(n *Node, layer nn.Layer, shape []int64, inputs ...*value) error {
	var names []string
	for _, v := range inputs {
		names = append(names, v.node)
	}
	if err := c.g.Add(layer.Name(), layer, names...); err != nil {
		return err
	}
	c.vals[n.Outputs[0]] = &value{node: layer.Name(), shape: shape}
	if c.largest >= 0 {
		size := int64(1)
		if len(shape) > 0 {
			size = product(shape[1:])
		}
		if size < 0 {
			c.largest = -1
		} else {
			c.largest = max(c.largest, size)
		}
	}
	return nil
}

func (c *converter) layerName(n *Node) string {
	if n.Name != "" {
		return c.nodeName(n.Name)
	}
	if len(n.Outputs) > 0 {
		return c.nodeName(n.Outputs[0])
	}
	return c.nodeName("")
}

func intsAttr(n *Node, name string, def []int64) []int64 {
	if a := attr(n, name); a != nil {
		return a.Ints
	}
	return def
}

func intAttr(n *Node, name string, def int64) int64 {
	if a := attr(n, name); a != nil {
		return a.I
	}
	return def
}

func floatAttr(n *Node, name string, def float32) float32 {
	if a := attr(n, name); a != nil {
		return a.F
	}
	return def
}

func strAttr(n *Node, name, def string) string {
	if a := attr(n, name); a != nil {
		return string(a.S)
	}
	return def
}

func (c *converter) convert(n *Node) error {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return fmt.Errorf("operator domain %q is not supported", n.Domain)
	}
	if len(n.Outputs) == 0 {
		return fmt.Errorf("node has no outputs")
	}
	// Fold constant subgraphs.
	if foldable[n.OpType] {
		var ins []constant
		all := true
		for _, name := range n.Inputs {
			if name == "" {
				continue
			}
			k, ok, err := c.constOf(name)
			if err != nil {
				return err
			}
			if !ok {
				all = false
				break
			}
			ins = append(ins, *k)
		}
		if all {
			k, err := fold(n, ins)
			if err != nil {
				return err
			}
			c.vals[n.Outputs[0]] = &value{konst: &k, shape: k.dims}
			return nil
		}
	}
	switch n.OpType {
	case "Identity", "Dropout":
		v, err := c.input(n, 0)
		if err != nil {
			return err
		}
		if n.OpType == "Dropout" && len(n.Inputs) > 2 && n.Inputs[2] != "" {
			k, ok, err := c.constOf(n.Inputs[2])
			if err != nil {
				return err
			}
			if !ok || len(k.vals) != 1 || k.vals[0] != 0 {
				return fmt.Errorf("Dropout in training mode is not supported (training_mode must be a constant false)")
			}
		}
		c.vals[n.Outputs[0]] = v // inference: the identity
		return nil
	case "Conv":
		return c.conv(n)
	case "BatchNormalization":
		return c.batchNorm(n)
	case "Relu":
		return c.unary(n, nn.NewReLU(c.layerName(n)))
	case "Sigmoid":
		return c.unary(n, nn.NewSigmoid(c.layerName(n)))
	case "HardSwish":
		return c.unary(n, nn.NewHardSwish(c.layerName(n)))
	case "LeakyRelu":
		return c.unary(n, nn.NewLeakyReLU(c.layerName(n), floatAttr(n, "alpha", 0.01)))
	case "HardSigmoid":
		return c.unary(n, nn.NewHardSigmoid(c.layerName(n), floatAttr(n, "alpha", 0.2), floatAttr(n, "beta", 0.5)))
	case "Clip":
		return c.clip(n)
	case "Softmax":
		v, err := c.input(n, 0)
		if err != nil {
			return err
		}
		axis := intAttr(n, "axis", map[bool]int64{true: -1, false: 1}[c.opset >= 13])
		if axis < 0 {
			axis += int64(v.rank())
		}
		if v.rank() != 2 || axis != 1 {
			return fmt.Errorf("softmax over axis %d of a rank-%d tensor: only the class axis of [N, classes] is supported", axis, v.rank())
		}
		return c.add(n, nn.NewSoftmax(c.layerName(n)), v.shape, v)
	case "Shape":
		v, err := c.input(n, 0)
		if err != nil {
			return err
		}
		k, err := shapeConstant(n, v.shape)
		if err != nil {
			return err
		}
		c.vals[n.Outputs[0]] = &value{konst: &k, shape: k.dims}
		return nil
	case "Add", "Mul", "Sub", "Div":
		return c.binary(n)
	case "Concat":
		return c.concat(n)
	case "MaxPool", "AveragePool":
		return c.pool(n)
	case "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceMax":
		return c.globalPool(n)
	case "Flatten":
		v, err := c.input(n, 0)
		if err != nil {
			return err
		}
		if axis := intAttr(n, "axis", 1); axis != 1 {
			return fmt.Errorf("Flatten with axis %d: only axis 1 is supported", axis)
		}
		return c.flatten(n, v)
	case "Reshape":
		return c.reshape(n)
	case "Gemm":
		return c.gemm(n)
	case "MatMul":
		return c.matmul(n)
	case "Pad":
		return c.pad(n)
	}
	if n.OpType == "Squeeze" || n.OpType == "Unsqueeze" {
		return c.squeeze(n)
	}
	if foldable[n.OpType] {
		return fmt.Errorf("operator %s is supported only on constant inputs", n.OpType)
	}
	return fmt.Errorf("operator %s is not supported (supported: %s; on constants also %s)", n.OpType,
		strings.Join(Supported, ", "), strings.Join(SupportedOnConstants, ", "))
}

func (c *converter) unary(n *Node, layer nn.Layer) error {
	v, err := c.input(n, 0)
	if err != nil {
		return err
	}
	return c.add(n, layer, v.shape, v)
}

func (c *converter) flatten(n *Node, v *value) error {
	switch v.rank() {
	case 2:
		c.vals[n.Outputs[0]] = v
		return nil
	case 4:
		return c.add(n, &flattenCHW{name: c.layerName(n)}, []int64{v.shape[0], product(v.shape[1:])}, v)
	}
	return fmt.Errorf("flattening a rank-%d tensor is not supported", v.rank())
}

func (c *converter) conv(n *Node) error {
	x, err := c.input(n, 0)
	if err != nil {
		return err
	}
	w, err := c.weight(n, 1)
	if err != nil {
		return err
	}
	if w == nil || w.Rank() != 4 || x.rank() != 4 {
		return fmt.Errorf("only 2-D convolutions of NCHW images are supported")
	}
	b, err := c.weight(n, 2)
	if err != nil {
		return err
	}
	outC, icg, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	group := int(intAttr(n, "group", 1))
	if ks := intsAttr(n, "kernel_shape", nil); ks != nil && (len(ks) != 2 || int(ks[0]) != kh || int(ks[1]) != kw) {
		return fmt.Errorf("kernel_shape %v does not match weight %v", ks, w.Shape)
	}
	strides := intsAttr(n, "strides", []int64{1, 1})
	dil := intsAttr(n, "dilations", []int64{1, 1})
	if len(strides) != 2 || len(dil) != 2 || group < 1 || outC%group != 0 {
		return fmt.Errorf("strides %v, dilations %v, group %d", strides, dil, group)
	}
	if ch := x.shape[1]; ch >= 0 && ch != int64(icg*group) {
		return fmt.Errorf("input has %d channels, weight %v with %d groups expects %d", ch, w.Shape, group, icg*group)
	}
	pad, err := padding(n, kh, kw)
	if err != nil {
		return err
	}
	cfg := nn.Conv2DConfig{InChannels: icg * group, Filters: outC, KernelH: kh, KernelW: kw,
		StrideH: int(strides[0]), StrideW: int(strides[1]), DilationH: int(dil[0]), DilationW: int(dil[1]),
		Padding: pad, Groups: group, NoBias: b == nil, Init: nn.InitZeros}
	layer, err := nn.NewConv2D(c.layerName(n), cfg)
	if err != nil {
		return err
	}
	// OIHW -> HWIO: [KH][KW][I/g][O].
	k := layer.Kernel.Value.Data
	for o := 0; o < outC; o++ {
		for i := 0; i < icg; i++ {
			for y := 0; y < kh; y++ {
				for xx := 0; xx < kw; xx++ {
					k[((y*kw+xx)*icg+i)*outC+o] = w.Data[((o*icg+i)*kh+y)*kw+xx]
				}
			}
		}
	}
	if b != nil {
		if b.Size() != outC {
			return fmt.Errorf("bias has %d values for %d filters", b.Size(), outC)
		}
		copy(layer.Bias.Value.Data, b.Data)
	}
	return c.add(n, layer, c.windowShape(n, x, int64(outC), kh, kw, int(dil[0]), int(dil[1]), false), x)
}

// padding reads pads/auto_pad for a 2-D window operator.
func padding(n *Node, kh, kw int) (nn.Padding, error) {
	switch auto := strAttr(n, "auto_pad", "NOTSET"); auto {
	case "NOTSET":
	case "VALID":
		return nn.PadValid(), nil
	case "SAME_UPPER":
		return nn.PadSame(), nil
	default:
		return nn.Padding{}, fmt.Errorf("auto_pad %s is not supported", auto)
	}
	pads := intsAttr(n, "pads", []int64{0, 0, 0, 0})
	if len(pads) != 4 {
		return nn.Padding{}, fmt.Errorf("pads %v: want 4 values", pads)
	}
	for _, p := range pads {
		if p < 0 || p > 1<<16 {
			return nn.Padding{}, fmt.Errorf("pads %v", pads)
		}
	}
	return nn.PadExplicit(int(pads[0]), int(pads[2]), int(pads[1]), int(pads[3])), nil
}

func (c *converter) batchNorm(n *Node) error {
	x, err := c.input(n, 0)
	if err != nil {
		return err
	}
	var ts [4]*tensor.Tensor
	for i := range ts {
		if ts[i], err = c.weight(n, i+1); err != nil {
			return err
		}
		if ts[i] == nil {
			return fmt.Errorf("missing input %d", i+1)
		}
	}
	ch := ts[0].Size()
	for i, t := range ts {
		if t.Size() != ch {
			return fmt.Errorf("input %d has %d values for %d channels", i+1, t.Size(), ch)
		}
	}
	bn, err := nn.NewBatchNorm(c.layerName(n), nn.BatchNormConfig{Channels: ch, Convention: nn.BNPyTorch,
		Epsilon: float64(floatAttr(n, "epsilon", 1e-5)), Momentum: 1 - float64(floatAttr(n, "momentum", 0.9))})
	if err != nil {
		return err
	}
	copy(bn.Gamma.Value.Data, ts[0].Data)
	copy(bn.Beta.Value.Data, ts[1].Data)
	copy(bn.MovingMean.Value.Data, ts[2].Data)
	copy(bn.MovingVariance.Value.Data, ts[3].Data)
	return c.add(n, bn, x.shape, x)
}

func (c *converter) concat(n *Node) error {
	var ins []*value
	for i := range n.Inputs {
		v, err := c.input(n, i)
		if err != nil {
			return err
		}
		ins = append(ins, v)
	}
	if len(ins) == 0 {
		return fmt.Errorf("no inputs")
	}
	rank := ins[0].rank()
	axis := intAttr(n, "axis", 1)
	if axis < 0 {
		axis += int64(rank)
	}
	if axis != 1 || (rank != 4 && rank != 2) {
		return fmt.Errorf("concatenation along axis %d of rank-%d tensors: only the channel axis is supported", axis, rank)
	}
	shape := append([]int64(nil), ins[0].shape...)
	for _, v := range ins[1:] {
		if v.rank() != rank {
			return fmt.Errorf("concatenation of rank-%d and rank-%d tensors", rank, v.rank())
		}
		if shape[1] >= 0 && v.shape[1] >= 0 {
			shape[1] += v.shape[1]
		} else {
			shape[1] = -1
		}
	}
	return c.add(n, nn.NewConcat(c.layerName(n)), shape, ins...)
}

func (c *converter) pool(n *Node) error {
	x, err := c.input(n, 0)
	if err != nil {
		return err
	}
	ks := intsAttr(n, "kernel_shape", nil)
	if len(ks) != 2 {
		return fmt.Errorf("kernel_shape %v: only 2-D pooling is supported", ks)
	}
	strides := intsAttr(n, "strides", []int64{1, 1})
	if len(strides) != 2 {
		return fmt.Errorf("strides %v", strides)
	}
	if d := intsAttr(n, "dilations", nil); d != nil && (d[0] != 1 || d[1] != 1) {
		return fmt.Errorf("dilated pooling is not supported")
	}
	pad, err := padding(n, int(ks[0]), int(ks[1]))
	if err != nil {
		return err
	}
	cfg := nn.Pool2DConfig{PoolH: int(ks[0]), PoolW: int(ks[1]), StrideH: int(strides[0]), StrideW: int(strides[1]),
		Padding: pad, CeilMode: intAttr(n, "ceil_mode", 0) == 1, CountIncludePad: intAttr(n, "count_include_pad", 0) == 1}
	var layer nn.Layer
	if n.OpType == "MaxPool" {
		if len(n.Outputs) > 1 && n.Outputs[1] != "" {
			return fmt.Errorf("MaxPool's Indices output is not supported")
		}
		layer, err = nn.NewMaxPool2D(c.layerName(n), cfg)
	} else {
		layer, err = nn.NewAvgPool2D(c.layerName(n), cfg)
	}
	if err != nil {
		return err
	}
	if x.rank() != 4 {
		return fmt.Errorf("pooling a rank-%d tensor: only NCHW images are supported", x.rank())
	}
	return c.add(n, layer, c.windowShape(n, x, x.shape[1], int(ks[0]), int(ks[1]), 1, 1, cfg.CeilMode), x)
}

func (c *converter) gemm(n *Node) error {
	x, err := c.input(n, 0)
	if err != nil {
		return err
	}
	if intAttr(n, "transA", 0) != 0 {
		return fmt.Errorf("transA=1 is not supported")
	}
	w, err := c.weight(n, 1)
	if err != nil {
		return err
	}
	if w == nil || w.Rank() != 2 {
		return fmt.Errorf("B must be a rank-2 constant")
	}
	b, err := c.weight(n, 2)
	if err != nil {
		return err
	}
	alpha, beta := floatAttr(n, "alpha", 1), floatAttr(n, "beta", 1)
	transB := intAttr(n, "transB", 0) == 1
	return c.dense(n, x, w, b, transB, alpha, beta)
}

func (c *converter) matmul(n *Node) error {
	x, err := c.input(n, 0)
	if err != nil {
		return err
	}
	w, err := c.weight(n, 1)
	if err != nil {
		return err
	}
	if w == nil || w.Rank() != 2 || x.rank() != 2 {
		return fmt.Errorf("only [N, in] x constant [in, out] products are supported")
	}
	return c.dense(n, x, w, nil, false, 1, 1)
}

// dense adds y = alpha * x·op(W) + beta * b as a Dense layer.
func (c *converter) dense(n *Node, x *value, w, b *tensor.Tensor, transB bool, alpha, beta float32) error {
	in, out := w.Shape[0], w.Shape[1]
	if transB {
		in, out = out, in
	}
	if x.rank() != 2 {
		return fmt.Errorf("input must be [N, features], is rank %d", x.rank())
	}
	if x.shape[1] >= 0 && x.shape[1] != int64(in) {
		return fmt.Errorf("input has %d features, the weight expects %d", x.shape[1], in)
	}
	layer, err := nn.NewDense(c.layerName(n), nn.DenseConfig{In: in, Out: out, NoBias: b == nil, Init: nn.InitZeros})
	if err != nil {
		return err
	}
	k := layer.Kernel.Value.Data
	for i := 0; i < in; i++ {
		for o := 0; o < out; o++ {
			v := w.Data[i*out+o]
			if transB {
				v = w.Data[o*in+i]
			}
			k[i*out+o] = alpha * v
		}
	}
	if b != nil {
		switch b.Size() {
		case out:
			for o := range out {
				layer.Bias.Value.Data[o] = beta * b.Data[o]
			}
		case 1:
			for o := range out {
				layer.Bias.Value.Data[o] = beta * b.Data[0]
			}
		default:
			return fmt.Errorf("bias of %d values for %d outputs", b.Size(), out)
		}
	}
	return c.add(n, layer, []int64{x.shape[0], int64(out)}, x)
}

func (c *converter) pad(n *Node) error {
	x, err := c.input(n, 0)
	if err != nil {
		return err
	}
	if mode := strAttr(n, "mode", "constant"); mode != "constant" {
		return fmt.Errorf("pad mode %s: only constant (zero) padding is supported", mode)
	}
	var pads []int64
	value := 0.0
	if c.opset < 11 {
		pads = intsAttr(n, "pads", nil)
		value = float64(floatAttr(n, "value", 0))
	} else {
		if len(n.Inputs) < 2 {
			return fmt.Errorf("missing the pads input")
		}
		k, ok, err := c.constOf(n.Inputs[1])
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("pads must be a constant")
		}
		pads = k.ints()
		if len(n.Inputs) > 2 && n.Inputs[2] != "" {
			v, ok, err := c.constOf(n.Inputs[2])
			if err != nil {
				return err
			}
			if !ok || len(v.vals) != 1 {
				return fmt.Errorf("pad value must be a scalar constant")
			}
			value = v.vals[0]
		}
	}
	if value != 0 {
		return fmt.Errorf("padding with %g: only zero padding is supported", value)
	}
	if x.rank() != 4 || len(pads) != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 {
		return fmt.Errorf("pads %v on a rank-%d tensor: only spatial padding of NCHW images is supported", pads, x.rank())
	}
	for _, p := range pads {
		if p < 0 || p > 1<<16 {
			return fmt.Errorf("pads %v", pads)
		}
	}
	layer, err := nn.NewZeroPadding2D(c.layerName(n), int(pads[2]), int(pads[6]), int(pads[3]), int(pads[7]))
	if err != nil {
		return err
	}
	shape := append([]int64(nil), x.shape...)
	for i, d := range shape[2:] {
		if d >= 0 {
			shape[2+i] = d + pads[2+i] + pads[6+i]
		}
	}
	return c.add(n, layer, shape, x)
}
