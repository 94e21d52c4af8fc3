package onnx

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// runFixture loads name.onnx and checks it against name.io.json.
func runFixture(t *testing.T, name string, batch int) {
	t.Helper()
	net, err := Load("testdata/" + name + ".onnx")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/" + name + ".io.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx ioFixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	d := fx.InputNCHW
	per := d[1] * d[2] * d[3]
	outPer := len(fx.Output) / d[0]
	x := nchwToNHWC(fx.Input[:batch*per], batch, d[1], d[2], d[3])
	outs, err := net.Graph.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := fx.Output[:batch*outPer]
	if outs[0].Size() != len(want) {
		t.Fatalf("output shape %v, want %d values", outs[0].Shape, len(want))
	}
	if e := relErr(outs[0].Data, want); e > 1e-5 {
		t.Fatalf("relative error %.3g against torch", e)
	}
}

// TestOpsNetMatchesTorch covers constant operands on both sides, a general
// Clip, a [N, C] -> [N, C, 1, 1] view and x.view(x.size(0), -1) over a
// symbolic batch (Shape, Gather, Unsqueeze, Concat folded into Reshape).
func TestOpsNetMatchesTorch(t *testing.T) {
	runFixture(t, "opsnet", 2)
	// The batch is symbolic, so a batch of one must work too.
	runFixture(t, "opsnet", 1)
}

// TestOpsNetOpset10 covers attribute-style Clip and Pad (before opset 11).
func TestOpsNetOpset10(t *testing.T) {
	m, err := Parse("testdata/opsnet_opset10.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if m.Opsets[""] != 10 {
		t.Fatalf("opset %d, want 10", m.Opsets[""])
	}
	runFixture(t, "opsnet_opset10", 2)
}

// graphOf builds a one-input model around nodes for unit tests.
func graphOf(inDims []int64, opset int64, inits []TensorProto, nodes ...Node) *Model {
	return &Model{Opsets: map[string]int64{"": opset}, Graph: Graph{
		Nodes: nodes, Initializers: inits,
		Inputs:  []ValueInfo{{Name: "x", ElemType: TypeFloat, Dims: inDims}},
		Outputs: []ValueInfo{{Name: nodes[len(nodes)-1].Outputs[0]}},
	}}
}

func floatInit(name string, dims []int64, vals ...float32) TensorProto {
	return TensorProto{Name: name, Dims: dims, DataType: TypeFloat, FloatData: vals}
}

func intInit(name string, vals ...int64) TensorProto {
	return TensorProto{Name: name, Dims: []int64{int64(len(vals))}, DataType: TypeInt64, Int64Data: vals}
}

func node(op string, ins []string, out string, attrs ...Attribute) Node {
	return Node{Name: "/" + op, OpType: op, Inputs: ins, Outputs: []string{out}, Attrs: attrs}
}

// forward converts m and runs x through it.
func forward(t *testing.T, m *Model, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	net, err := Convert(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := net.Graph.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

func ramp(shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	for i := range x.Data {
		x.Data[i] = float32(i%7) - 3
	}
	return x
}

func TestConstantOperands(t *testing.T) {
	perCh := floatInit("k", []int64{1, 2, 1, 1}, 2, -4)
	scalar := floatInit("s", nil, 0.5)
	x := ramp(1, 2, 2, 2) // NHWC: channel is the last axis
	cases := []struct {
		op   string
		ins  []string
		init TensorProto
		want func(v float32, ch int) float32
	}{
		{"Add", []string{"x", "k"}, perCh, func(v float32, ch int) float32 { return v + []float32{2, -4}[ch] }},
		{"Sub", []string{"x", "k"}, perCh, func(v float32, ch int) float32 { return v - []float32{2, -4}[ch] }},
		{"Sub", []string{"k", "x"}, perCh, func(v float32, ch int) float32 { return []float32{2, -4}[ch] - v }},
		{"Mul", []string{"k", "x"}, perCh, func(v float32, ch int) float32 { return v * []float32{2, -4}[ch] }},
		{"Div", []string{"x", "k"}, perCh, func(v float32, ch int) float32 { return v / []float32{2, -4}[ch] }},
		{"Mul", []string{"x", "s"}, scalar, func(v float32, _ int) float32 { return v * 0.5 }},
	}
	for _, tc := range cases {
		m := graphOf([]int64{1, 2, 2, 2}, 13, []TensorProto{tc.init}, node(tc.op, tc.ins, "y"))
		y := forward(t, m, x)
		for i, v := range x.Data {
			if want := tc.want(v, i%2); math.Abs(float64(y.Data[i]-want)) > 1e-6 {
				t.Fatalf("%s%v: y[%d] = %v, want %v", tc.op, tc.ins, i, y.Data[i], want)
			}
		}
	}
	// A constant that varies over space cannot become a per-channel layer.
	m := graphOf([]int64{1, 2, 2, 2}, 13, []TensorProto{floatInit("k", []int64{1, 1, 2, 1}, 1, 2)}, node("Add", []string{"x", "k"}, "y"))
	if _, err := Convert(m); err == nil || !strings.Contains(err.Error(), "per channel") {
		t.Fatalf("err = %v, want a per-channel complaint", err)
	}
	// k / x has no affine form.
	m = graphOf([]int64{1, 2, 2, 2}, 13, []TensorProto{scalar}, node("Div", []string{"s", "x"}, "y"))
	if _, err := Convert(m); err == nil || !strings.Contains(err.Error(), "Div") {
		t.Fatalf("err = %v, want one naming Div", err)
	}
}

func TestSubOfComputedTensors(t *testing.T) {
	m := graphOf([]int64{1, 2, 2, 2}, 13, nil,
		node("Relu", []string{"x"}, "r"), node("Sub", []string{"r", "x"}, "y"))
	x := ramp(1, 2, 2, 2)
	y := forward(t, m, x)
	for i, v := range x.Data {
		if want := max(v, 0) - v; y.Data[i] != want {
			t.Fatalf("y[%d] = %v, want %v", i, y.Data[i], want)
		}
	}
}

func TestGeneralClip(t *testing.T) {
	x := ramp(1, 3, 3, 1)
	for _, opset := range []int64{10, 13} {
		n := node("Clip", []string{"x", "lo", "hi"}, "y")
		inits := []TensorProto{floatInit("lo", nil, -1.5), floatInit("hi", nil, 2)}
		if opset < 11 {
			n = node("Clip", []string{"x"}, "y", Attribute{Name: "min", F: -1.5}, Attribute{Name: "max", F: 2})
			inits = nil
		}
		y := forward(t, graphOf([]int64{1, 1, 3, 3}, opset, inits, n), x)
		for i, v := range x.Data {
			if want := min(max(v, -1.5), 2); y.Data[i] != want {
				t.Fatalf("opset %d: y[%d] = %v, want %v", opset, i, y.Data[i], want)
			}
		}
	}
	// Only a lower bound: max is +inf.
	y := forward(t, graphOf([]int64{1, 1, 3, 3}, 13, []TensorProto{floatInit("lo", nil, -1)}, node("Clip", []string{"x", "lo"}, "y")), x)
	for i, v := range x.Data {
		if want := max(v, -1); y.Data[i] != want {
			t.Fatalf("y[%d] = %v, want %v", i, y.Data[i], want)
		}
	}
}

func TestClipLayerGradientAndSpec(t *testing.T) {
	l := &clipLayer{name: "c", Min: -1, Max: float32(math.Inf(1))}
	x := ramp(1, 7)
	if _, err := l.Forward([]*tensor.Tensor{x}, true); err != nil {
		t.Fatal(err)
	}
	g := tensor.New(1, 7)
	for i := range g.Data {
		g.Data[i] = float32(i + 1)
	}
	dx, err := l.Backward(g, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range x.Data {
		want := float32(0)
		if v > -1 {
			want = g.Data[i]
		}
		if dx[0].Data[i] != want {
			t.Fatalf("dx[%d] = %v for x = %v, want %v", i, dx[0].Data[i], v, want)
		}
	}
	// Save and rebuild a graph holding the layer: the infinite bound survives.
	g0 := nn.NewGraph()
	if err := g0.Input("x"); err != nil {
		t.Fatal(err)
	}
	if err := g0.Add("c", l, "x"); err != nil {
		t.Fatal(err)
	}
	if err := g0.SetOutputs("c"); err != nil {
		t.Fatal(err)
	}
	spec, err := g0.Spec()
	if err != nil {
		t.Fatal(err)
	}
	g1, err := nn.FromSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	big := tensor.New(1, 2)
	big.Data[0], big.Data[1] = -5, 1e30
	out, err := g1.Forward([]*tensor.Tensor{big}, false)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Data[0] != -1 || out[0].Data[1] != 1e30 {
		t.Fatalf("rebuilt clip gave %v, want [-1 1e30]", out[0].Data)
	}
}

func TestChannelAffineGradient(t *testing.T) {
	a := newChannelAffine("a", []float32{2, -3}, []float32{1})
	x := ramp(2, 1, 3, 2)
	y, err := a.Forward([]*tensor.Tensor{x}, true)
	if err != nil {
		t.Fatal(err)
	}
	if y.Data[1] != x.Data[1]*-3+1 || y.Data[2] != x.Data[2]*2+1 {
		t.Fatalf("forward %v from %v", y.Data[:4], x.Data[:4])
	}
	g := ramp(2, 1, 3, 2)
	dx, err := a.Backward(g, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range g.Data {
		if want := g.Data[i] * []float32{2, -3}[i%2]; dx[0].Data[i] != want {
			t.Fatalf("dx[%d] = %v, want %v", i, dx[0].Data[i], want)
		}
	}
	if _, err := a.Forward([]*tensor.Tensor{ramp(1, 3)}, false); err == nil {
		t.Fatal("2 constants for 3 channels: no error")
	}
}

// TestShapeSubgraphFolds is x.view(x.size(0), x.size(1)*x.size(2)*x.size(3))
// written out, with a symbolic batch.
func TestShapeSubgraphFolds(t *testing.T) {
	ints := func(name string, v ...int64) Attribute {
		return Attribute{Name: name, T: &TensorProto{Dims: []int64{int64(len(v))}, DataType: TypeInt64, Int64Data: v}}
	}
	m := graphOf([]int64{-1, 2, 3, 2}, 13, []TensorProto{intInit("i0", 0), intInit("ax", 0), intInit("s123", 1, 4)},
		node("Shape", []string{"x"}, "sh"),
		node("Gather", []string{"sh", "i0"}, "n", Attribute{Name: "axis", I: 0}),
		node("Unsqueeze", []string{"n", "ax"}, "n1"),
		node("Slice", []string{"sh", "s123"[:0] + "one", "four"}, "chw"),
		node("Constant", nil, "one", ints("value", 1)),
		node("Constant", nil, "four", ints("value", 4)),
	)
	// Constants must come before use: rebuild the order.
	nodes := m.Graph.Nodes
	m.Graph.Nodes = []Node{nodes[4], nodes[5], nodes[0], nodes[1], nodes[2], nodes[3],
		node("Gather", []string{"chw", "i0"}, "c"),
		node("Constant", nil, "i12", ints("value", 1, 2)),
		node("Gather", []string{"chw", "i12"}, "hw"),
		node("Mul", []string{"c", "hwprod"}, "feat"),
		node("Unsqueeze", []string{"feat", "ax"}, "feat1"),
		node("Concat", []string{"n1", "feat1"}, "target", Attribute{Name: "axis", I: 0}),
		node("Reshape", []string{"x", "target"}, "y"),
	}
	// hwprod = hw[0] * hw[1], via two more gathers.
	m.Graph.Nodes = append(m.Graph.Nodes[:9], append([]Node{
		node("Constant", nil, "j1", ints("value", 1)),
		node("Gather", []string{"hw", "i0"}, "h"),
		node("Gather", []string{"hw", "j1"}, "w"),
		node("Mul", []string{"h", "w"}, "hwprod"),
	}, m.Graph.Nodes[9:]...)...)
	m.Graph.Outputs = []ValueInfo{{Name: "y"}}
	x := ramp(3, 3, 2, 2) // batch 3: the graph said -1
	y := forward(t, m, x)
	if !tensor.EqualShapes(y.Shape, []int{3, 12}) {
		t.Fatalf("shape %v, want [3 12]", y.Shape)
	}
	// Channels-first order: y[n, c*6 + h*2 + w] = x[n, h, w, c].
	if y.Data[12+1*6+2*2+1] != x.Data[12+(2*2+1)*2+1] {
		t.Fatal("flatten is not channels-first")
	}
}

func TestShapeOfUnknownDimRejectedWhereConcreteNeeded(t *testing.T) {
	m := graphOf([]int64{-1, 2, 3, 2}, 13, nil,
		node("Shape", []string{"x"}, "sh"),
		node("ConstantOfShape", []string{"sh"}, "z"),
		node("Relu", []string{"x"}, "y"),
	)
	_, err := Convert(m)
	if err == nil || !strings.Contains(err.Error(), "not known statically") || !strings.Contains(err.Error(), "ConstantOfShape") {
		t.Fatalf("err = %v", err)
	}
}

func TestReshapeRules(t *testing.T) {
	cases := []struct {
		in     []int64
		target []int64
		ok     bool
		shape  []int
	}{
		{[]int64{2, 3, 2, 2}, []int64{2, -1}, true, []int{2, 12}},
		{[]int64{2, 3, 2, 2}, []int64{0, 12}, true, []int{2, 12}},
		{[]int64{2, 3, 2, 2}, []int64{-1, 12}, true, []int{2, 12}},
		{[]int64{2, 3, 2, 2}, []int64{4, -1}, false, nil}, // changes the batch
		{[]int64{2, 3, 2, 2}, []int64{2, 3, 4}, false, nil},
		{[]int64{2, 6}, []int64{2, 6, 1, 1}, true, []int{2, 1, 1, 6}},
		{[]int64{2, 6}, []int64{0, 6}, true, []int{2, 6}},
	}
	for _, tc := range cases {
		var first Node
		if len(tc.in) == 4 {
			first = node("Relu", []string{"x"}, "r")
		} else {
			first = node("Identity", []string{"x"}, "r")
		}
		m := graphOf(tc.in, 13, []TensorProto{intInit("t", tc.target...)}, first, node("Reshape", []string{"r", "t"}, "y"))
		net, err := Convert(m)
		if !tc.ok {
			if err == nil || !strings.Contains(err.Error(), "Reshape") {
				t.Errorf("%v to %v: err = %v, want a Reshape error", tc.in, tc.target, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v to %v: %v", tc.in, tc.target, err)
			continue
		}
		nhwc := []int{int(tc.in[0]), int(tc.in[1])}
		if len(tc.in) == 4 {
			nhwc = []int{int(tc.in[0]), int(tc.in[2]), int(tc.in[3]), int(tc.in[1])}
		}
		out, err := net.Graph.Forward([]*tensor.Tensor{ramp(nhwc...)}, false)
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.EqualShapes(out[0].Shape, tc.shape) {
			t.Errorf("%v to %v: shape %v, want %v", tc.in, tc.target, out[0].Shape, tc.shape)
		}
	}
}

func TestFoldArithmetic(t *testing.T) {
	a := constant{dims: []int64{2}, vals: []float64{7, -7}, integer: true}
	b := constant{vals: []float64{2}, integer: true}
	got, err := foldArith("Div", a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got.vals[0] != 3 || got.vals[1] != -3 || !got.integer {
		t.Fatalf("integer division gave %+v, want [3 -3] (truncating)", got)
	}
	f := constant{dims: []int64{2}, vals: []float64{7, -7}}
	if got, _ := foldArith("Div", f, b); got.vals[0] != 3.5 || got.integer {
		t.Fatalf("float division gave %+v", got)
	}
	m := constant{dims: []int64{2, 1}, vals: []float64{1, 2}}
	n := constant{dims: []int64{3}, vals: []float64{10, 20, 30}}
	got, err = foldArith("Add", m, n)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{11, 21, 31, 12, 22, 32}
	for i := range want {
		if got.vals[i] != want[i] {
			t.Fatalf("broadcast add %v, want %v", got.vals, want)
		}
	}
	if _, err := foldArith("Add", n, constant{dims: []int64{2}, vals: []float64{1, 2}}); err == nil {
		t.Fatal("[3] + [2] folded without error")
	}
	if _, err := foldArith("Div", a, constant{vals: []float64{0}, integer: true}); err == nil {
		t.Fatal("integer division by zero folded")
	}
}

func TestShapeConstantStartEnd(t *testing.T) {
	n := node("Shape", []string{"x"}, "s", Attribute{Name: "start", I: 1}, Attribute{Name: "end", I: -1})
	c, err := shapeConstant(&n, []int64{-1, 3, 8, 8})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.vals) != 2 || c.vals[0] != 3 || c.vals[1] != 8 {
		t.Fatalf("got %v, want [3 8]", c.vals)
	}
	n = node("Shape", []string{"x"}, "s")
	c, _ = shapeConstant(&n, []int64{-1, 3})
	if !math.IsNaN(c.vals[0]) || c.vals[1] != 3 {
		t.Fatalf("got %v, want [NaN 3]", c.vals)
	}
}

func TestWindowOut(t *testing.T) {
	cases := []struct {
		in, k, s, b, a int64
		ceil           bool
		want           int64
	}{
		{64, 3, 2, 1, 1, false, 32}, {7, 3, 2, 0, 0, false, 3}, {8, 3, 2, 0, 0, true, 4},
		{6, 3, 2, 1, 1, true, 4}, {5, 2, 2, 1, 1, true, 3}, // the last window would start in the trailing padding
		{2, 3, 1, 0, 0, false, 0},
	}
	for _, tc := range cases {
		if got := windowOut(tc.in, tc.k, tc.s, tc.b, tc.a, tc.ceil); got != tc.want {
			t.Errorf("windowOut%+v = %d", tc, got)
		}
	}
}

func TestElementwiseOperators(t *testing.T) {
	x := ramp(1, 2, 3, 2)
	relu6 := func(v float64) float64 { return math.Min(math.Max(v, 0), 6) }
	cases := []struct {
		n    Node
		want func(v float64) float64
	}{
		{node("HardSwish", []string{"x"}, "y"), func(v float64) float64 { return v * relu6(v+3) / 6 }},
		{node("HardSigmoid", []string{"x"}, "y"), func(v float64) float64 { return math.Min(math.Max(0.2*v+0.5, 0), 1) }},
		{node("HardSigmoid", []string{"x"}, "y", Attribute{Name: "alpha", F: 1.0 / 6}), func(v float64) float64 { return math.Min(math.Max(v/6+0.5, 0), 1) }},
		{node("Sigmoid", []string{"x"}, "y"), func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{node("LeakyRelu", []string{"x"}, "y", Attribute{Name: "alpha", F: 0.1}), func(v float64) float64 { return math.Max(v, 0.1*v) }},
		{node("Dropout", []string{"x"}, "y"), func(v float64) float64 { return v }},
		{node("Identity", []string{"x"}, "y"), func(v float64) float64 { return v }},
	}
	for _, tc := range cases {
		m := graphOf([]int64{1, 2, 2, 3}, 14, nil, tc.n)
		// Identity and Dropout of the graph input would make the output the
		// input itself, which Convert refuses; route through a layer instead.
		if tc.n.OpType == "Identity" || tc.n.OpType == "Dropout" {
			m = graphOf([]int64{1, 2, 2, 3}, 14, nil, node("Relu", []string{"x"}, "r"), Node{OpType: tc.n.OpType, Inputs: []string{"r"}, Outputs: []string{"y"}})
		}
		y, err := func() (*tensor.Tensor, error) {
			net, err := Convert(m)
			if err != nil {
				return nil, err
			}
			out, err := net.Graph.Forward([]*tensor.Tensor{x}, false)
			if err != nil {
				return nil, err
			}
			return out[0], nil
		}()
		if err != nil {
			t.Fatalf("%s: %v", tc.n.OpType, err)
		}
		for i, v := range x.Data {
			in := float64(v)
			if tc.n.OpType == "Identity" || tc.n.OpType == "Dropout" {
				in = math.Max(in, 0)
			}
			if want := tc.want(in); math.Abs(float64(y.Data[i])-want) > 1e-6 {
				t.Fatalf("%s: y[%d] = %v for %v, want %v", tc.n.OpType, i, y.Data[i], v, want)
			}
		}
	}
	// Dropout told to train is refused rather than silently ignored.
	m := graphOf([]int64{1, 2, 2, 3}, 13, []TensorProto{floatInit("ratio", nil, 0.5), {Name: "train", DataType: TypeBool, Int32Data: []int32{1}}},
		node("Dropout", []string{"x", "ratio", "train"}, "y"))
	if _, err := Convert(m); err == nil || !strings.Contains(err.Error(), "training mode") {
		t.Fatalf("err = %v, want a training-mode refusal", err)
	}
}

func TestGlobalPoolingForms(t *testing.T) {
	x := ramp(2, 2, 3, 2) // NHWC
	mean := func(b, ch int) float32 {
		s := float32(0)
		for p := 0; p < 6; p++ {
			s += x.Data[(b*6+p)*2+ch]
		}
		return s / 6
	}
	maxOf := func(b, ch int) float32 {
		m := float32(math.Inf(-1))
		for p := 0; p < 6; p++ {
			m = max(m, x.Data[(b*6+p)*2+ch])
		}
		return m
	}
	cases := []struct {
		n     Node
		inits []TensorProto
		opset int64
		shape []int
		want  func(b, ch int) float32
	}{
		{node("GlobalAveragePool", []string{"x"}, "y"), nil, 13, []int{2, 1, 1, 2}, mean},
		{node("GlobalMaxPool", []string{"x"}, "y"), nil, 13, []int{2, 1, 1, 2}, maxOf},
		{node("ReduceMean", []string{"x"}, "y", Attribute{Name: "axes", Ints: []int64{-1, -2}}, Attribute{Name: "keepdims", I: 0}), nil, 13, []int{2, 2}, mean},
		{node("ReduceMax", []string{"x", "axes"}, "y"), []TensorProto{intInit("axes", 2, 3)}, 18, []int{2, 1, 1, 2}, maxOf},
	}
	for _, tc := range cases {
		y := forward(t, graphOf([]int64{2, 2, 2, 3}, tc.opset, tc.inits, tc.n), x)
		if !tensor.EqualShapes(y.Shape, tc.shape) {
			t.Fatalf("%s: shape %v, want %v", tc.n.OpType, y.Shape, tc.shape)
		}
		for b := range 2 {
			for ch := range 2 {
				if got, want := y.Data[b*2+ch], tc.want(b, ch); math.Abs(float64(got-want)) > 1e-6 {
					t.Fatalf("%s: [%d, %d] = %v, want %v", tc.n.OpType, b, ch, got, want)
				}
			}
		}
	}
	m := graphOf([]int64{2, 2, 2, 3}, 13, nil, node("ReduceMean", []string{"x"}, "y", Attribute{Name: "axes", Ints: []int64{1}}))
	if _, err := Convert(m); err == nil || !strings.Contains(err.Error(), "spatial axes") {
		t.Fatalf("mean over channels: err = %v", err)
	}
}

func TestFoldOnlyOperatorOnComputedInput(t *testing.T) {
	m := graphOf([]int64{1, 2, 2, 2}, 13, nil, node("Transpose", []string{"x"}, "y"))
	if _, err := Convert(m); err == nil || !strings.Contains(err.Error(), "only on constant inputs") || !strings.Contains(err.Error(), "/Transpose") {
		t.Fatalf("err = %v", err)
	}
}

func TestSqueezeAroundPooling(t *testing.T) {
	x := ramp(2, 3, 3, 4)
	m := graphOf([]int64{2, 4, 3, 3}, 13, []TensorProto{intInit("ax", 2, 3)},
		node("GlobalAveragePool", []string{"x"}, "p"),
		node("Squeeze", []string{"p", "ax"}, "s"),
		Node{Name: "/un", OpType: "Unsqueeze", Inputs: []string{"s"}, Outputs: []string{"y"}, Attrs: []Attribute{{Name: "axes", Ints: []int64{-1, -2}}}},
	)
	m.Opsets[""] = 11 // attribute axes for Unsqueeze; Squeeze's input form is tested at 13 below
	m.Graph.Nodes[1] = Node{Name: "/sq", OpType: "Squeeze", Inputs: []string{"p"}, Outputs: []string{"s"}, Attrs: []Attribute{{Name: "axes", Ints: []int64{2, 3}}}}
	y := forward(t, m, x)
	if !tensor.EqualShapes(y.Shape, []int{2, 1, 1, 4}) {
		t.Fatalf("shape %v, want [2 1 1 4]", y.Shape)
	}
	m = graphOf([]int64{2, 4, 3, 3}, 13, []TensorProto{intInit("ax", 2, 3)},
		node("GlobalAveragePool", []string{"x"}, "p"), node("Squeeze", []string{"p", "ax"}, "y"))
	y = forward(t, m, x)
	if !tensor.EqualShapes(y.Shape, []int{2, 4}) {
		t.Fatalf("shape %v, want [2 4]", y.Shape)
	}
	m = graphOf([]int64{2, 4, 3, 3}, 13, []TensorProto{intInit("ax", 1)}, node("Squeeze", []string{"x", "ax"}, "y"))
	if _, err := Convert(m); err == nil || !strings.Contains(err.Error(), "Squeeze") {
		t.Fatalf("squeezing channels: err = %v", err)
	}
}
