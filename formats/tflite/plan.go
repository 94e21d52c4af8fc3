package tflite

import (
	"fmt"

	"github.com/graft-ml/graft/tensor"
)

// NodeKind says what a plan node computes.
type NodeKind int

// The float operations a TFLite graph is converted into.
const (
	KindConv2D          NodeKind = iota // Kernel HWIO [KH, KW, InC/Groups, OutC]
	KindDepthwiseConv2D                 // Kernel [KH, KW, C, Multiplier]
	KindAveragePool                     // window PoolH x PoolW
	KindMaxPool                         // window PoolH x PoolW
	KindMean                            // average over H and W (global pooling)
	KindDense                           // Kernel [In, Out] on a [N, In] input
	KindReshape                         // to Shape; -1 marks the batch dimension
	KindSoftmax                         // over the last axis, logits scaled by Beta
	KindAdd                             // two inputs, or one and Const
	KindMul                             // two inputs, or one and Const
	KindConcat                          // along Axis
	KindPad                             // zero padding of H and W by Pad
	KindIdentity                        // QUANTIZE and DEQUANTIZE in float
	KindReLU
	KindReLU6
	KindLogistic
	KindHardSwish
)

var kindNames = [...]string{"Conv2D", "DepthwiseConv2D", "AveragePool2D", "MaxPool2D", "Mean",
	"Dense", "Reshape", "Softmax", "Add", "Mul", "Concat", "Pad", "Identity", "ReLU", "ReLU6",
	"Logistic", "HardSwish"}

// String returns the kind's name, e.g. "Conv2D".
func (k NodeKind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("NodeKind(%d)", int(k))
}

// Node is one float operation of a Plan. Inputs and Output are tensor
// indices of the subgraph; only the fields of the node's kind are set.
type Node struct {
	Name     string // the name of its output tensor
	Kind     NodeKind
	Source   int // index of the TFLite operator it came from
	Inputs   []int
	Output   int
	OutShape []int // the output shape the file declares

	Kernel, Bias *tensor.Tensor // dequantised weights, in Graft's layouts
	Groups       int

	StrideH, StrideW     int
	DilationH, DilationW int
	PoolH, PoolW         int
	Same                 bool   // TensorFlow SAME padding
	Pad                  [4]int // explicit padding: top, bottom, left, right

	Activation Activation     // fused activation applied to the output
	Shape      []int          // reshape target
	Axis       int            // concatenation axis, non-negative
	Beta       float32        // softmax temperature
	KeepDims   bool           // Mean keeps H and W as 1
	Const      *tensor.Tensor // constant operand of Add and Mul, one value per channel
}

// Plan is a TFLite subgraph lowered to float operations in execution order.
type Plan struct {
	Tensors    []*Tensor // the subgraph's tensors, indexed by Node.Inputs
	Input      int       // tensor index of the single graph input
	InputShape []int
	Outputs    []int // tensor indices of the graph outputs
	Logits     int   // tensor feeding the final SOFTMAX, or -1
	Nodes      []*Node
}

// NewPlan lowers subgraph 0 of f to float operations: weights are
// dequantised and moved to Graft's layouts, QUANTIZE and DEQUANTIZE become
// identities, and zero PADs in front of a VALID convolution are folded into
// it.
func NewPlan(f *File) (*Plan, error) {
	if len(f.Subgraphs) == 0 {
		return nil, fmt.Errorf("tflite: %s: no subgraphs", f.Name)
	}
	sg := f.Subgraphs[0]
	if len(sg.Inputs) != 1 {
		return nil, fmt.Errorf("tflite: %s: %d graph inputs; only single-input graphs are supported", f.Name, len(sg.Inputs))
	}
	if len(sg.Outputs) == 0 {
		return nil, fmt.Errorf("tflite: %s: the graph has no outputs", f.Name)
	}
	in := sg.Tensors[sg.Inputs[0]]
	if len(in.Shape) == 0 {
		return nil, fmt.Errorf("tflite: %s: input %q has no shape", f.Name, in.Name)
	}
	b := &planBuilder{
		sg:       sg,
		plan:     &Plan{Tensors: sg.Tensors, Input: in.Index, InputShape: append([]int(nil), in.Shape...), Outputs: sg.Outputs, Logits: -1},
		produced: map[int]bool{in.Index: true},
		consts:   map[int]*tensor.Tensor{},
	}
	b.dequantLimit = 4096
	for _, buf := range f.Buffers {
		b.dequantLimit += 2 * len(buf)
	}
	for _, op := range sg.Operators {
		if err := b.lower(op); err != nil {
			name := ""
			if len(op.Outputs) > 0 {
				name = fmt.Sprintf(" -> %q", sg.Tensors[op.Outputs[0]].Name)
			}
			return nil, fmt.Errorf("tflite: %s: operator %d (%s)%s: %w", f.Name, op.Index, opName(op), name, err)
		}
	}
	for _, o := range sg.Outputs {
		if !b.produced[o] {
			return nil, fmt.Errorf("tflite: %s: output tensor %d %q is computed by no operator", f.Name, o, sg.Tensors[o].Name)
		}
	}
	b.plan.foldPads()
	b.plan.findLogits()
	return b.plan, nil
}

func opName(op *Operator) string {
	if op.Op == OpCustom && op.Custom != "" {
		return "CUSTOM " + op.Custom
	}
	return op.Op.String()
}

// planBuilder holds the state of NewPlan.
type planBuilder struct {
	sg       *Subgraph
	plan     *Plan
	produced map[int]bool           // activation tensors computed so far
	consts   map[int]*tensor.Tensor // dequantised constants, including folded DEQUANTIZE outputs

	dequantised, dequantLimit int // values dequantised so far, and the bound
}

// activation returns the activation input k of op.
func (b *planBuilder) activation(op *Operator, k int) (int, error) {
	if k >= len(op.Inputs) || op.Inputs[k] < 0 {
		return 0, fmt.Errorf("input %d is missing", k)
	}
	idx := op.Inputs[k]
	if b.produced[idx] {
		for _, d := range b.sg.Tensors[idx].Shape {
			if d < 1 {
				return 0, fmt.Errorf("input %d %q has shape %v; every dimension must be positive", k, b.sg.Tensors[idx].Name, b.sg.Tensors[idx].Shape)
			}
		}
	} else {
		t := b.sg.Tensors[idx]
		if t.Data != nil || b.consts[idx] != nil {
			return 0, fmt.Errorf("input %d %q is a constant where an activation is expected", k, t.Name)
		}
		return 0, fmt.Errorf("input %d %q is used before any operator computes it", k, t.Name)
	}
	return idx, nil
}

// constant returns input k of op as a dequantised float tensor; optional
// inputs that are absent give nil.
func (b *planBuilder) constant(op *Operator, k int, optional bool) (*tensor.Tensor, error) {
	if k >= len(op.Inputs) || op.Inputs[k] < 0 {
		if optional {
			return nil, nil
		}
		return nil, fmt.Errorf("input %d is missing", k)
	}
	idx := op.Inputs[k]
	if c := b.consts[idx]; c != nil {
		return c, nil
	}
	t := b.sg.Tensors[idx]
	if t.Data == nil {
		return nil, fmt.Errorf("input %d %q must be a constant", k, t.Name)
	}
	// Tensors may share buffers; bound the total so that a small file
	// cannot make many tensors dequantise one large buffer.
	if b.dequantised += numel(t.Shape); b.dequantised > b.dequantLimit {
		return nil, fmt.Errorf("input %d %q: the constants add up to more than %d values", k, t.Name, b.dequantLimit)
	}
	data, err := t.Float32s()
	if err != nil {
		return nil, err
	}
	c, err := tensor.FromData(data, t.Shape...)
	if err != nil {
		return nil, err
	}
	b.consts[idx] = c
	return c, nil
}

// ints returns constant input k of op as integers.
func (b *planBuilder) ints(op *Operator, k int) ([]int, error) {
	if k >= len(op.Inputs) || op.Inputs[k] < 0 {
		return nil, fmt.Errorf("input %d is missing", k)
	}
	return b.sg.Tensors[op.Inputs[k]].Ints()
}

// add appends a node computing op's first output.
func (b *planBuilder) add(op *Operator, n *Node) error {
	if len(op.Outputs) != 1 {
		return fmt.Errorf("%d outputs, want 1", len(op.Outputs))
	}
	out := b.sg.Tensors[op.Outputs[0]]
	if b.produced[out.Index] || out.Data != nil {
		return fmt.Errorf("output %q is computed twice or is a constant", out.Name)
	}
	n.Name, n.Source, n.Output = out.Name, op.Index, out.Index
	n.OutShape = append([]int(nil), out.Shape...)
	b.produced[out.Index] = true
	b.plan.Nodes = append(b.plan.Nodes, n)
	return nil
}

func (b *planBuilder) shape(idx int) []int { return b.sg.Tensors[idx].Shape }

func checkActivation(a Activation) error {
	switch a {
	case ActNone, ActRelu, ActRelu6, ActReluN1To1, ActTanh:
		return nil
	}
	return fmt.Errorf("fused activation %s is not supported", a)
}

func (b *planBuilder) lower(op *Operator) error {
	switch op.Op {
	case OpConv2D:
		return b.lowerConv(op)
	case OpDepthwiseConv:
		return b.lowerDepthwise(op)
	case OpAveragePool2D, OpMaxPool2D:
		return b.lowerPool(op)
	case OpMean:
		return b.lowerMean(op)
	case OpFullyConnected:
		return b.lowerDense(op)
	case OpReshape, OpSqueeze:
		return b.lowerReshape(op)
	case OpSoftmax:
		x, err := b.activation(op, 0)
		if err != nil {
			return err
		}
		return b.add(op, &Node{Kind: KindSoftmax, Inputs: []int{x}, Beta: op.Options.(*SoftmaxOptions).Beta})
	case OpAdd, OpMul:
		return b.lowerBinary(op)
	case OpConcatenation:
		return b.lowerConcat(op)
	case OpPad:
		return b.lowerPad(op)
	case OpQuantize, OpDequantize:
		return b.lowerIdentity(op)
	case OpRelu, OpRelu6, OpLogistic, OpHardSwish:
		x, err := b.activation(op, 0)
		if err != nil {
			return err
		}
		kind := map[BuiltinOp]NodeKind{OpRelu: KindReLU, OpRelu6: KindReLU6, OpLogistic: KindLogistic, OpHardSwish: KindHardSwish}[op.Op]
		return b.add(op, &Node{Kind: kind, Inputs: []int{x}})
	}
	return fmt.Errorf("operator is not supported")
}

// spatial checks strides and dilations and copies them into n.
func spatial(n *Node, pad Padding, sh, sw, dh, dw int) error {
	if sh < 1 || sw < 1 || dh < 1 || dw < 1 {
		return fmt.Errorf("stride %dx%d and dilation %dx%d must be positive", sh, sw, dh, dw)
	}
	switch pad {
	case PaddingSame:
		n.Same = true
	case PaddingValid:
	default:
		return fmt.Errorf("padding %s is not supported", pad)
	}
	n.StrideH, n.StrideW, n.DilationH, n.DilationW = sh, sw, dh, dw
	return nil
}

// bias reads the optional bias input 2 of a convolution or dense layer.
func (b *planBuilder) bias(op *Operator, outC int) (*tensor.Tensor, error) {
	bias, err := b.constant(op, 2, true)
	if err != nil || bias == nil {
		return nil, err
	}
	if bias.Size() != outC {
		return nil, fmt.Errorf("bias %v for %d output channels", bias.Shape, outC)
	}
	return bias.Reshape(outC)
}

func (b *planBuilder) lowerConv(op *Operator) error {
	o := op.Options.(*Conv2DOptions)
	x, err := b.activation(op, 0)
	if err != nil {
		return err
	}
	w, err := b.constant(op, 1, false)
	if err != nil {
		return err
	}
	xs := b.shape(x)
	if len(xs) != 4 || w.Rank() != 4 {
		return fmt.Errorf("input %v and filter %v must both have rank 4", xs, w.Shape)
	}
	outC, kh, kw, icg := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	if icg < 1 || xs[3]%icg != 0 || outC%(xs[3]/icg) != 0 {
		return fmt.Errorf("filter %v does not fit an input of %d channels", w.Shape, xs[3])
	}
	n := &Node{Kind: KindConv2D, Inputs: []int{x}, Groups: xs[3] / icg, Activation: o.Activation}
	if err := spatial(n, o.Padding, o.StrideH, o.StrideW, o.DilationH, o.DilationW); err != nil {
		return err
	}
	if err := checkActivation(o.Activation); err != nil {
		return err
	}
	// [OutC, KH, KW, InC] -> [KH, KW, InC, OutC]
	k := tensor.New(kh, kw, icg, outC)
	for oc := 0; oc < outC; oc++ {
		for i := 0; i < kh*kw*icg; i++ {
			k.Data[i*outC+oc] = w.Data[oc*kh*kw*icg+i]
		}
	}
	n.Kernel = k
	if n.Bias, err = b.bias(op, outC); err != nil {
		return err
	}
	return b.add(op, n)
}

func (b *planBuilder) lowerDepthwise(op *Operator) error {
	o := op.Options.(*DepthwiseConv2DOptions)
	x, err := b.activation(op, 0)
	if err != nil {
		return err
	}
	w, err := b.constant(op, 1, false)
	if err != nil {
		return err
	}
	xs := b.shape(x)
	if len(xs) != 4 || w.Rank() != 4 || w.Shape[0] != 1 {
		return fmt.Errorf("input %v must have rank 4 and filter %v the shape [1, KH, KW, C*M]", xs, w.Shape)
	}
	c, outC := xs[3], w.Shape[3]
	if c < 1 || outC%c != 0 || outC == 0 {
		return fmt.Errorf("filter %v does not fit an input of %d channels", w.Shape, c)
	}
	n := &Node{Kind: KindDepthwiseConv2D, Inputs: []int{x}, Groups: c, Activation: o.Activation}
	if err := spatial(n, o.Padding, o.StrideH, o.StrideW, o.DilationH, o.DilationW); err != nil {
		return err
	}
	if err := checkActivation(o.Activation); err != nil {
		return err
	}
	// [1, KH, KW, C*M] is already [KH, KW, C, M] in memory.
	if n.Kernel, err = w.Reshape(w.Shape[1], w.Shape[2], c, outC/c); err != nil {
		return err
	}
	if n.Bias, err = b.bias(op, outC); err != nil {
		return err
	}
	return b.add(op, n)
}

func (b *planBuilder) lowerPool(op *Operator) error {
	o := op.Options.(*Pool2DOptions)
	x, err := b.activation(op, 0)
	if err != nil {
		return err
	}
	if xs := b.shape(x); len(xs) != 4 {
		return fmt.Errorf("input %v must have rank 4", xs)
	}
	kind := KindAveragePool
	if op.Op == OpMaxPool2D {
		kind = KindMaxPool
	}
	n := &Node{Kind: kind, Inputs: []int{x}, PoolH: o.FilterHeight, PoolW: o.FilterWidth, Activation: o.Activation}
	if o.FilterHeight < 1 || o.FilterWidth < 1 {
		return fmt.Errorf("window %dx%d must be positive", o.FilterHeight, o.FilterWidth)
	}
	if err := spatial(n, o.Padding, o.StrideH, o.StrideW, 1, 1); err != nil {
		return err
	}
	if err := checkActivation(o.Activation); err != nil {
		return err
	}
	return b.add(op, n)
}

func (b *planBuilder) lowerMean(op *Operator) error {
	x, err := b.activation(op, 0)
	if err != nil {
		return err
	}
	axes, err := b.ints(op, 1)
	if err != nil {
		return fmt.Errorf("axes: %w", err)
	}
	xs := b.shape(x)
	if len(xs) != 4 {
		return fmt.Errorf("input %v must have rank 4", xs)
	}
	seen := map[int]bool{}
	for _, a := range axes {
		if a < 0 {
			a += 4
		}
		seen[a] = true
	}
	if len(seen) != 2 || !seen[1] || !seen[2] {
		return fmt.Errorf("mean over axes %v: only the spatial axes [1 2] are supported", axes)
	}
	return b.add(op, &Node{Kind: KindMean, Inputs: []int{x}, KeepDims: op.Options.(*ReducerOptions).KeepDims})
}

func (b *planBuilder) lowerDense(op *Operator) error {
	o := op.Options.(*FullyConnectedOptions)
	if o.WeightsFormat != 0 {
		return fmt.Errorf("weights format %d is not supported", o.WeightsFormat)
	}
	if err := checkActivation(o.Activation); err != nil {
		return err
	}
	x, err := b.activation(op, 0)
	if err != nil {
		return err
	}
	w, err := b.constant(op, 1, false)
	if err != nil {
		return err
	}
	if w.Rank() != 2 || w.Shape[0] < 1 || w.Shape[1] < 1 {
		return fmt.Errorf("weights %v must have the shape [out, in]", w.Shape)
	}
	out, in := w.Shape[0], w.Shape[1]
	if numel(b.shape(x))%in != 0 {
		return fmt.Errorf("input %v does not flatten to rows of %d", b.shape(x), in)
	}
	k := tensor.New(in, out)
	for i := 0; i < out; i++ {
		for j := 0; j < in; j++ {
			k.Data[j*out+i] = w.Data[i*in+j]
		}
	}
	n := &Node{Kind: KindDense, Inputs: []int{x}, Kernel: k, Activation: o.Activation}
	if n.Bias, err = b.bias(op, out); err != nil {
		return err
	}
	return b.add(op, n)
}

func (b *planBuilder) lowerReshape(op *Operator) error {
	x, err := b.activation(op, 0)
	if err != nil {
		return err
	}
	if len(op.Outputs) != 1 {
		return fmt.Errorf("%d outputs, want 1", len(op.Outputs))
	}
	target := append([]int(nil), b.shape(op.Outputs[0])...)
	if numel(target) != numel(b.shape(x)) {
		return fmt.Errorf("cannot reshape %v to %v", b.shape(x), target)
	}
	// The leading dimension of image graphs is the batch: keep it free so
	// that the graph runs on any batch size.
	if len(target) > 0 && target[0] == 1 && len(b.shape(x)) > 0 && b.shape(x)[0] == 1 {
		target[0] = -1
	}
	return b.add(op, &Node{Kind: KindReshape, Inputs: []int{x}, Shape: target})
}

func (b *planBuilder) lowerBinary(op *Operator) error {
	o := op.Options.(*ActivationOptions)
	if err := checkActivation(o.Activation); err != nil {
		return err
	}
	kind := KindAdd
	if op.Op == OpMul {
		kind = KindMul
	}
	if len(op.Inputs) != 2 {
		return fmt.Errorf("%d inputs, want 2", len(op.Inputs))
	}
	n := &Node{Kind: kind, Activation: o.Activation}
	for k := range 2 {
		if x, err := b.activation(op, k); err == nil {
			n.Inputs = append(n.Inputs, x)
			continue
		}
		c, err := b.constant(op, k, false)
		if err != nil {
			return err
		}
		if n.Const != nil {
			return fmt.Errorf("both inputs are constants")
		}
		n.Const = c
	}
	if len(n.Inputs) == 2 && !tensor.EqualShapes(b.shape(n.Inputs[0]), b.shape(n.Inputs[1])) {
		return fmt.Errorf("inputs %v and %v: broadcasting between activations is not supported", b.shape(n.Inputs[0]), b.shape(n.Inputs[1]))
	}
	if n.Const != nil {
		xs := b.shape(n.Inputs[0])
		c := n.Const.Size()
		if len(xs) == 0 || (c != 1 && c != xs[len(xs)-1]) {
			return fmt.Errorf("constant %v must be a scalar or one value per channel of %v", n.Const.Shape, xs)
		}
		// Broadcast a scalar to one value per channel, within the budget.
		ch := xs[len(xs)-1]
		if b.dequantised += ch; b.dequantised > b.dequantLimit {
			return fmt.Errorf("constant broadcast to %d channels exceeds %d values", ch, b.dequantLimit)
		}
		perChannel := tensor.New(ch)
		for i := range perChannel.Data {
			perChannel.Data[i] = n.Const.Data[i%c]
		}
		n.Const = perChannel
	}
	return b.add(op, n)
}

func (b *planBuilder) lowerConcat(op *Operator) error {
	o := op.Options.(*ConcatenationOptions)
	if err := checkActivation(o.Activation); err != nil {
		return err
	}
	n := &Node{Kind: KindConcat, Activation: o.Activation}
	for k := range op.Inputs {
		x, err := b.activation(op, k)
		if err != nil {
			return err
		}
		n.Inputs = append(n.Inputs, x)
	}
	if len(n.Inputs) == 0 {
		return fmt.Errorf("no inputs")
	}
	rank := len(b.shape(n.Inputs[0]))
	n.Axis = o.Axis
	if n.Axis < 0 {
		n.Axis += rank
	}
	if n.Axis < 0 || n.Axis >= rank {
		return fmt.Errorf("axis %d for rank %d", o.Axis, rank)
	}
	for _, x := range n.Inputs[1:] {
		s, s0 := b.shape(x), b.shape(n.Inputs[0])
		if len(s) != rank {
			return fmt.Errorf("inputs of rank %d and %d", rank, len(s))
		}
		for d := range s {
			if d != n.Axis && s[d] != s0[d] {
				return fmt.Errorf("inputs %v and %v differ off axis %d", s0, s, n.Axis)
			}
		}
	}
	return b.add(op, n)
}

func (b *planBuilder) lowerPad(op *Operator) error {
	x, err := b.activation(op, 0)
	if err != nil {
		return err
	}
	p, err := b.ints(op, 1)
	if err != nil {
		return fmt.Errorf("paddings: %w", err)
	}
	if len(b.shape(x)) != 4 || len(p) != 8 {
		return fmt.Errorf("input %v with %d paddings: only rank-4 padding is supported", b.shape(x), len(p))
	}
	if p[0] != 0 || p[1] != 0 || p[6] != 0 || p[7] != 0 {
		return fmt.Errorf("paddings %v: only height and width may be padded", p)
	}
	for _, v := range p {
		if v < 0 {
			return fmt.Errorf("paddings %v: negative padding", p)
		}
	}
	return b.add(op, &Node{Kind: KindPad, Inputs: []int{x}, Pad: [4]int{p[2], p[3], p[4], p[5]}})
}

func (b *planBuilder) lowerIdentity(op *Operator) error {
	if len(op.Inputs) == 1 && op.Inputs[0] >= 0 && len(op.Outputs) == 1 {
		in := b.sg.Tensors[op.Inputs[0]]
		if in.Data != nil || b.consts[in.Index] != nil {
			// DEQUANTIZE of a constant (float16 or int8 weights): fold.
			c, err := b.constant(op, 0, false)
			if err != nil {
				return err
			}
			b.consts[op.Outputs[0]] = c
			return nil
		}
	}
	x, err := b.activation(op, 0)
	if err != nil {
		return err
	}
	return b.add(op, &Node{Kind: KindIdentity, Inputs: []int{x}})
}

// consumers counts the nodes reading each tensor.
func (p *Plan) consumers() map[int][]*Node {
	c := map[int][]*Node{}
	for _, n := range p.Nodes {
		for _, x := range n.Inputs {
			c[x] = append(c[x], n)
		}
	}
	return c
}

// foldPads merges a zero PAD into the VALID convolution that is its only
// reader, as TensorFlow's explicit "pad then conv" pattern means.
func (p *Plan) foldPads() {
	readers := p.consumers()
	isOutput := map[int]bool{}
	for _, o := range p.Outputs {
		isOutput[o] = true
	}
	var kept []*Node
	for _, n := range p.Nodes {
		r := readers[n.Output]
		if n.Kind == KindPad && !isOutput[n.Output] && len(r) == 1 &&
			(r[0].Kind == KindConv2D || r[0].Kind == KindDepthwiseConv2D) && !r[0].Same && r[0].Pad == [4]int{} {
			r[0].Pad = n.Pad
			r[0].Inputs[0] = n.Inputs[0]
			continue
		}
		kept = append(kept, n)
	}
	p.Nodes = kept
}

// findLogits walks back from the first output through identities and
// reshapes to a SOFTMAX and records the tensor it reads.
func (p *Plan) findLogits() {
	producer := map[int]*Node{}
	for _, n := range p.Nodes {
		producer[n.Output] = n
	}
	t := p.Outputs[0]
	for {
		n := producer[t]
		if n == nil {
			return
		}
		switch n.Kind {
		case KindIdentity, KindReshape:
			t = n.Inputs[0]
		case KindSoftmax:
			p.Logits = n.Inputs[0]
			return
		default:
			return
		}
	}
}
