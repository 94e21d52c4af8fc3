package nn

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// specTestGraph uses every layer type this package defines.
func specTestGraph(t *testing.T) *Graph {
	t.Helper()
	g := NewGraph()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(g.Input("image"))
	pad, err := NewZeroPadding2D("pad", 1, 0, 0, 1)
	must(err)
	must(g.Add("pad", pad, "image"))
	c1, err := NewConv2D("c1", Conv2DConfig{InChannels: 3, Filters: 8, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, Padding: PadSame(), Seed: 1})
	must(err)
	must(g.Add("c1", c1, "pad"))
	bn, err := NewBatchNorm("bn", BatchNormConfig{Channels: 8, Convention: BNPyTorch})
	must(err)
	for i := range bn.MovingMean.Value.Data {
		bn.MovingMean.Value.Data[i] = 0.1 * float32(i)
		bn.MovingVariance.Value.Data[i] = 1 + 0.05*float32(i)
	}
	must(g.Add("bn", bn, "c1"))
	must(g.Add("act", NewHardSigmoid("act", 0.2, 0.5), "bn"))
	dw, err := NewDepthwiseConv2D("dw", DepthwiseConv2DConfig{Channels: 8, Multiplier: 2, KernelH: 3, KernelW: 3, Padding: PadSymmetric(1, 1), Seed: 2})
	must(err)
	must(g.Add("dw", dw, "act"))
	must(g.Add("swish", NewSwish("swish"), "dw"))
	mp, err := NewMaxPool2D("mp", Pool2DConfig{PoolH: 2, PoolW: 2})
	must(err)
	must(g.Add("mp", mp, "swish"))
	ap, err := NewAvgPool2D("ap", Pool2DConfig{PoolH: 3, PoolW: 3, StrideH: 1, StrideW: 1, Padding: PadSame()})
	must(err)
	must(g.Add("ap", ap, "mp"))
	must(g.Add("sum", NewAdd("sum"), "mp", "ap"))
	must(g.Add("gate", NewGlobalAvgPool("gate", false), "sum"))
	must(g.Add("gate_act", NewSigmoid("gate_act"), "gate"))
	must(g.Add("scaled", NewMultiply("scaled"), "sum", "gate_act"))
	must(g.Add("cat", NewConcat("cat"), "scaled", "sum"))
	must(g.Add("flat", NewFlatten("flat"), "cat"))
	drop, err := NewDropout("drop", 0.3, 5)
	must(err)
	must(g.Add("drop", drop, "flat"))
	d, err := NewDense("fc", DenseConfig{In: 2 * 2 * 32, Out: 5, Seed: 3})
	must(err)
	must(g.Add("fc", d, "drop"))
	must(g.Add("relu6", NewReLU6("relu6"), "fc"))
	must(g.Add("leaky", NewLeakyReLU("leaky", 0.1), "relu6"))
	must(g.Add("prob", NewSoftmax("prob"), "leaky"))
	must(g.SetOutputs("prob", "gate"))
	return g
}

func TestSpecRoundTrip(t *testing.T) {
	g := specTestGraph(t)
	s, err := g.Spec()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var s2 GraphSpec
	if err := json.Unmarshal(b, &s2); err != nil {
		t.Fatal(err)
	}
	g2, err := FromSpec(s2)
	if err != nil {
		t.Fatal(err)
	}
	src := map[string]*Param{}
	for _, p := range append(g.Params(), g.State()...) {
		src[p.Name] = p
	}
	dst := append(g2.Params(), g2.State()...)
	if len(dst) != len(src) {
		t.Fatalf("rebuilt graph has %d tensors, original %d", len(dst), len(src))
	}
	for _, p := range dst {
		q, ok := src[p.Name]
		if !ok || !tensor.SameShape(p.Value, q.Value) {
			t.Fatalf("tensor %s missing or reshaped in the rebuilt graph", p.Name)
		}
		copy(p.Value.Data, q.Value.Data)
	}
	x := tensor.New(2, 8, 7, 3)
	for i := range x.Data {
		x.Data[i] = float32(math.Sin(float64(i) * 0.37))
	}
	a, err := g.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := g2.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	for k := range a {
		for i := range a[k].Data {
			if a[k].Data[i] != c[k].Data[i] {
				t.Fatalf("output %d differs at %d: %v vs %v", k, i, a[k].Data[i], c[k].Data[i])
			}
		}
	}
	b2, _ := json.Marshal(mustSpec(t, g2))
	if string(b) != string(b2) {
		t.Fatal("the rebuilt graph's spec differs from the original's")
	}
}

func mustSpec(t *testing.T, g *Graph) GraphSpec {
	t.Helper()
	s, err := g.Spec()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFromSpecErrors(t *testing.T) {
	cases := map[string]string{
		`{"nodes":[{"name":"x"},{"name":"y","layer":{"type":"Warp"},"inputs":["x"]}],"outputs":["y"]}`:                    "unknown layer type",
		`{"nodes":[{"name":"x"},{"name":"y","layer":{"type":"Dense","config":{"In":0}},"inputs":["x"]}],"outputs":["y"]}`: "positive",
		`{"nodes":[{"name":"y","layer":{"type":"Add"},"inputs":["nope"]}],"outputs":["y"]}`:                               "does not exist",
		`{"nodes":[{"name":"x"},{"name":"y","layer":{"type":"Activation","config":{"kind":"tanhh"}},"inputs":["x"]}]}`:    "unknown activation",
	}
	for js, want := range cases {
		var s GraphSpec
		if err := json.Unmarshal([]byte(js), &s); err != nil {
			t.Fatal(err)
		}
		_, err := FromSpec(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", js, err, want)
		}
	}
}

func TestSpecParamCountMatchesGraph(t *testing.T) {
	g := specTestGraph(t)
	nobias, err := NewConv2D("nb", Conv2DConfig{InChannels: 3, Filters: 5, KernelH: 1, KernelW: 1, NoBias: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Add("nb", nobias, "image"); err != nil {
		t.Fatal(err)
	}
	s := mustSpec(t, g)
	got, err := s.ParamCount()
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, p := range append(g.Params(), g.State()...) {
		want += p.Value.Size()
	}
	if got != int64(want) {
		t.Fatalf("ParamCount = %d, the graph holds %d", got, want)
	}
}

func TestClone(t *testing.T) {
	g := specTestGraph(t)
	if err := g.SetTrainable("c1", false); err != nil {
		t.Fatal(err)
	}
	c, err := g.Clone()
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(2, 8, 7, 3)
	for i := range x.Data {
		x.Data[i] = float32(math.Cos(float64(i) * 0.29))
	}
	run := func(h *Graph) []float32 {
		outs, err := h.Forward([]*tensor.Tensor{x}, false)
		if err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), outs[0].Data...)
	}
	want, got := run(g), run(c)
	for i := range want {
		if want[i] != got[i] {
			t.Fatalf("clone's output differs at %d: %v vs %v", i, got[i], want[i])
		}
	}
	for _, p := range c.Params() {
		if want := !strings.HasPrefix(p.Name, "c1/"); p.Trainable != want {
			t.Errorf("clone's %s trainable %v, want %v (the original's c1 is frozen)", p.Name, p.Trainable, want)
		}
	}
	// The copy owns its tensors: changing it leaves the original alone.
	for _, p := range c.Params() {
		for i := range p.Value.Data {
			p.Value.Data[i] = 0
		}
	}
	if after := run(g); after[0] != want[0] {
		t.Fatalf("zeroing the clone's weights changed the original's output: %v, was %v", after[0], want[0])
	}
}
