package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// counting wraps a layer and counts its Forward and Backward calls.
type counting struct {
	Layer
	forwards, backwards int
}

func (c *counting) Forward(in []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	c.forwards++
	return c.Layer.Forward(in, training)
}

func (c *counting) Backward(g *tensor.Tensor, need bool) ([]*tensor.Tensor, error) {
	c.backwards++
	return c.Layer.Backward(g, need)
}

func (c *counting) Release() { release(c.Layer) }

func (c *counting) SetFrozen(f bool) {
	if fr, ok := c.Layer.(Freezer); ok {
		fr.SetFrozen(f)
	}
}

func (c *counting) State() []*Param { return stateOf(c.Layer) }

func holds(l Layer) bool {
	if c, ok := l.(*counting); ok {
		l = c.Layer
	}
	h, ok := l.(interface{ holds() bool })
	return ok && h.holds()
}

// must returns v, panicking (which fails the test) on an error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// resBlock builds x -> conv -> bn -> relu -> conv -> bn -> add(x) -> relu
// -> global average pool -> dense, with every layer wrapped in counting.
func resBlock(t *testing.T, c int) (*Graph, map[string]*counting) {
	return resBlockAct(t, c, NewReLU)
}

// resBlockAct is resBlock with the given activation.
func resBlockAct(t *testing.T, c int, act func(string) *Activation) (*Graph, map[string]*counting) {
	t.Helper()
	g := NewGraph()
	mustDo(t, g.Input("x"))
	layers := map[string]*counting{}
	add := func(name string, l Layer, in ...string) {
		layers[name] = &counting{Layer: l}
		mustDo(t, g.Add(name, layers[name], in...))
	}
	bn := func(name string) Layer {
		b := must(NewBatchNorm(name, BatchNormConfig{Channels: c}))
		copy(b.Gamma.Value.Data, randTensor(uint64(len(name)), 0.5, 1.5, c).Data)
		copy(b.Beta.Value.Data, randTensor(uint64(len(name))+1, -0.5, 0.5, c).Data)
		return b
	}
	add("conv1", must(NewConv2D("conv1", Conv2DConfig{InChannels: c, Filters: c, KernelH: 3, KernelW: 3, Padding: PadSame(), Seed: 1})), "x")
	add("bn1", bn("bn1"), "conv1")
	add("relu1", act("relu1"), "bn1")
	add("conv2", must(NewConv2D("conv2", Conv2DConfig{InChannels: c, Filters: c, KernelH: 3, KernelW: 3, Padding: PadSymmetric(1, 1), NoBias: true, Seed: 2})), "relu1")
	add("bn2", bn("bn2"), "conv2")
	add("add", NewAdd("add"), "bn2", "x")
	add("relu2", act("relu2"), "add")
	add("pool", NewGlobalAvgPool("pool", false), "relu2")
	add("fc", must(NewDense("fc", DenseConfig{In: c, Out: 3, Seed: 3})), "pool")
	return g, layers
}

// checkGraphGrads compares the graph's parameter and input gradients with
// central differences of sum(r*y) over its single output.
func checkGraphGrads(t *testing.T, g *Graph, x *tensor.Tensor, gc gradCase) {
	t.Helper()
	g.SetInputGrad(true)
	forward := func() *tensor.Tensor {
		t.Helper()
		y, err := g.Forward([]*tensor.Tensor{x}, true)
		if err != nil {
			t.Fatal(err)
		}
		return y[0]
	}
	y := forward()
	r := randTensor(77, -1, 1, y.Shape...)
	g.ZeroGrad()
	dx := must(g.Backward([]*tensor.Tensor{r}))
	numeric := func(v []float32, i int) float64 {
		old := v[i]
		v[i] = old + float32(gc.eps)
		lp := projectedLoss(forward(), r)
		v[i] = old - float32(gc.eps)
		lm := projectedLoss(forward(), r)
		v[i] = old
		return (lp - lm) / (2 * gc.eps)
	}
	compare := func(what string, a, v *tensor.Tensor) {
		t.Helper()
		for _, i := range sampleIndices(len(v.Data), gc.maxChecks) {
			n, an := numeric(v.Data, i), float64(a.Data[i])
			if math.Abs(an-n) > gc.atol+gc.rtol*math.Max(math.Abs(an), math.Abs(n)) {
				t.Errorf("%s[%d]: analytic %.6g, numeric %.6g", what, i, an, n)
			}
		}
	}
	compare("input", dx[0], x)
	for _, p := range g.TrainableParams() {
		compare(p.Name, p.Grad.Clone(), p.Value)
	}
}

func TestGraphResidualGradients(t *testing.T) {
	// Swish keeps the loss smooth: ReLU's kink after a batch-normalised
	// convolution is too often within a finite-difference step.
	g, _ := resBlockAct(t, 4, NewSwish)
	x := randTensor(1, -1, 1, 3, 5, 5, 4)
	checkGraphGrads(t, g, x, gradCase{eps: 1e-2, atol: 3e-3, rtol: 2e-2, maxChecks: 40})
}

func TestGraphParamNamesAndSummary(t *testing.T) {
	g, _ := resBlock(t, 4)
	var names []string
	for _, p := range g.Params() {
		names = append(names, p.Name)
	}
	want := "conv1/kernel conv1/bias bn1/gamma bn1/beta conv2/kernel bn2/gamma bn2/beta fc/kernel fc/bias"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("params %q, want %q", got, want)
	}
	if s := g.State(); len(s) != 4 || s[0].Name != "bn1/moving_mean" || s[3].Name != "bn2/moving_variance" {
		t.Fatalf("state %v", s)
	}
	must(g.Forward([]*tensor.Tensor{tensor.New(2, 6, 6, 4)}, false))
	sum := g.Summary()
	for _, s := range []string{"conv1", "[2 6 6 4]", "[2 3]", "fc", "parameters: 323 trainable, 16 frozen"} {
		if !strings.Contains(sum, s) {
			t.Errorf("summary lacks %q:\n%s", s, sum)
		}
	}
	if err := g.Add("conv1", NewReLU("again"), "x"); err == nil {
		t.Fatal("duplicate node name accepted")
	}
	if err := g.Add("late", NewReLU("late"), "nope"); err == nil {
		t.Fatal("unknown input accepted")
	}
}

func TestGraphFreezingStopsBackward(t *testing.T) {
	g, layers := resBlock(t, 4)
	mustDo(t, g.FreezeUpTo("relu1"))
	frozen := map[string]*tensor.Tensor{}
	for _, p := range g.Params() {
		if !p.Trainable {
			frozen[p.Name] = p.Value.Clone()
		}
	}
	if len(frozen) != 4 {
		t.Fatalf("%d frozen params, want 4 (conv1, bn1)", len(frozen))
	}
	bn1 := layers["bn1"].Layer.(*BatchNorm)
	if bn1.Mode() != BNFrozen {
		t.Fatal("freezing did not put bn1 in frozen mode")
	}
	stats := []*tensor.Tensor{bn1.MovingMean.Value.Clone(), bn1.MovingVariance.Value.Clone()}
	bn2 := layers["bn2"].Layer.(*BatchNorm)
	bn2Mean := bn2.MovingMean.Value.Clone()

	x := randTensor(2, -1, 1, 2, 5, 5, 4)
	y := must(g.Forward([]*tensor.Tensor{x}, true))
	// The add node needs the gradient of x only if x needs one; it does not,
	// but bn2 is trainable so add is back-propagated.
	for _, name := range []string{"conv1", "bn1", "relu1"} {
		if holds(layers[name]) {
			t.Errorf("frozen node %s kept tensors after Forward", name)
		}
	}
	if !holds(layers["conv2"]) {
		t.Error("trainable conv2 kept nothing for Backward")
	}
	must(g.Backward([]*tensor.Tensor{randTensor(3, -1, 1, y[0].Shape...)}))
	for _, name := range []string{"conv1", "bn1", "relu1"} {
		if n := layers[name].backwards; n != 0 {
			t.Errorf("frozen node %s: Backward called %d times", name, n)
		}
	}
	for _, name := range []string{"conv2", "bn2", "add", "relu2", "pool", "fc"} {
		if n := layers[name].backwards; n != 1 {
			t.Errorf("node %s: Backward called %d times, want 1", name, n)
		}
	}
	for _, p := range g.Params() {
		if old, ok := frozen[p.Name]; ok {
			if p.Grad != nil {
				t.Errorf("frozen %s has a gradient", p.Name)
			}
			for i := range old.Data {
				if math.Float32bits(old.Data[i]) != math.Float32bits(p.Value.Data[i]) {
					t.Fatalf("frozen %s changed", p.Name)
				}
			}
		} else if p.Grad == nil {
			t.Errorf("trainable %s has no gradient", p.Name)
		}
	}
	for i, s := range []*Param{bn1.MovingMean, bn1.MovingVariance} {
		for j := range s.Value.Data {
			if s.Value.Data[j] != stats[i].Data[j] {
				t.Fatalf("frozen bn1 changed %s", s.Name)
			}
		}
	}
	changed := false
	for j := range bn2Mean.Data {
		changed = changed || bn2.MovingMean.Value.Data[j] != bn2Mean.Data[j]
	}
	if !changed {
		t.Error("trainable bn2 did not update its running mean")
	}
	for name, l := range layers {
		if holds(l) {
			t.Errorf("%s still holds tensors after Backward", name)
		}
	}
	// Unfreezing restores training mode; everything is back-propagated.
	g.SetAllTrainable(true)
	if bn1.Mode() != BNTrain {
		t.Fatal("unfreezing did not restore bn1")
	}
	must(g.Forward([]*tensor.Tensor{x}, true))
	must(g.Backward([]*tensor.Tensor{randTensor(3, -1, 1, y[0].Shape...)}))
	if layers["conv1"].backwards != 1 {
		t.Fatalf("conv1 Backward calls %d after unfreezing, want 1", layers["conv1"].backwards)
	}
}

func TestGraphFreezeByPattern(t *testing.T) {
	g, layers := resBlock(t, 4)
	n := must(g.SetTrainableMatching("bn*", false))
	if n != 2 {
		t.Fatalf("pattern matched %d nodes, want 2", n)
	}
	if layers["bn2"].Layer.(*BatchNorm).Mode() != BNFrozen {
		t.Fatal("bn2 not frozen")
	}
	for _, p := range g.TrainableParams() {
		if strings.HasPrefix(p.Name, "bn") {
			t.Fatalf("%s still trainable", p.Name)
		}
	}
	if _, err := g.SetTrainableMatching("[", false); err == nil {
		t.Fatal("bad pattern accepted")
	}
	if err := g.SetTrainable("nope", false); err == nil {
		t.Fatal("unknown node accepted")
	}
}

func TestGraphInferenceKeepsNothing(t *testing.T) {
	g, layers := resBlock(t, 4)
	x := randTensor(2, -1, 1, 2, 5, 5, 4)
	must(g.Forward([]*tensor.Tensor{x}, true))
	must(g.Forward([]*tensor.Tensor{x}, false))
	for name, l := range layers {
		if holds(l) {
			t.Errorf("%s holds tensors after an inference Forward", name)
		}
	}
	if _, err := g.Backward([]*tensor.Tensor{tensor.New(2, 3)}); err == nil {
		t.Fatal("Backward after an inference Forward gave no error")
	}
}

func TestGraphMultipleOutputsAndDeadNodes(t *testing.T) {
	g := NewGraph()
	mustDo(t, g.Input("x"))
	fc := must(NewDense("fc", DenseConfig{In: 3, Out: 2, Seed: 1}))
	mustDo(t, g.Add("fc", fc, "x"))
	a := &counting{Layer: NewSigmoid("a")}
	b := &counting{Layer: NewReLU("b")}
	dead := &counting{Layer: NewSoftmax("dead")}
	mustDo(t, g.Add("a", a, "fc"))
	mustDo(t, g.Add("b", b, "fc"))
	mustDo(t, g.Add("dead", dead, "fc"))
	mustDo(t, g.SetOutputs("a", "b"))
	x := randTensor(1, -1, 1, 4, 3)
	ys := must(g.Forward([]*tensor.Tensor{x}, true))
	if len(ys) != 2 || dead.forwards != 0 {
		t.Fatalf("%d outputs, dead node ran %d times", len(ys), dead.forwards)
	}
	ga, gb := randTensor(2, -1, 1, 4, 2), randTensor(3, -1, 1, 4, 2)
	must(g.Backward([]*tensor.Tensor{ga, gb}))
	// fc's bias gradient is the sum of both branches' gradients.
	want := make([]float64, 2)
	for i := range ys[0].Data {
		s, r := float64(ys[0].Data[i]), float64(ys[1].Data[i])
		d := float64(ga.Data[i]) * s * (1 - s)
		if r > 0 {
			d += float64(gb.Data[i])
		}
		want[i%2] += d
	}
	for j, w := range want {
		if math.Abs(float64(fc.Bias.Grad.Data[j])-w) > 1e-5 {
			t.Fatalf("bias grad %v, want %v", fc.Bias.Grad.Data, want)
		}
	}
}

func TestGraphBadInput(t *testing.T) {
	g, _ := resBlock(t, 4)
	_, err := g.Forward([]*tensor.Tensor{tensor.New(2, 8, 8, 5)}, false)
	if err == nil || !strings.Contains(err.Error(), "conv1") || !strings.Contains(err.Error(), "[2 8 8 5]") || !strings.Contains(err.Error(), "4 channels") {
		t.Fatalf("wrong channels: %v", err)
	}
	if _, err := g.Forward(nil, false); err == nil || !strings.Contains(err.Error(), "want 1") {
		t.Fatalf("no inputs: %v", err)
	}

	g.CheckFinite = true
	x := randTensor(1, -1, 1, 2, 5, 5, 4)
	x.Data[17] = float32(math.NaN())
	_, err = g.Forward([]*tensor.Tensor{x}, true)
	if err == nil || !strings.Contains(err.Error(), `"conv1"`) || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("NaN input: %v", err)
	}
	x.Data[17] = 0
	y := must(g.Forward([]*tensor.Tensor{x}, true))
	gy := randTensor(2, -1, 1, y[0].Shape...)
	gy.Data[1] = float32(math.Inf(1))
	_, err = g.Backward([]*tensor.Tensor{gy})
	if err == nil || !strings.Contains(err.Error(), `"fc"`) {
		t.Fatalf("Inf gradient: %v", err)
	}
	must(g.Forward([]*tensor.Tensor{x}, true))
	if _, err := g.Backward([]*tensor.Tensor{tensor.New(2, 4)}); err == nil || !strings.Contains(err.Error(), "fc") {
		t.Fatalf("wrong gradient shape: %v", err)
	}
}
