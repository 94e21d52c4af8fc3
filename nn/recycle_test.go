package nn

import (
	"runtime"
	"slices"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// constant is a layer from "another package": it returns the same stored
// tensor on every call, which the Graph must never recycle.
type constant struct {
	name string
	t    *tensor.Tensor
}

func (c *constant) Name() string                                           { return c.name }
func (c *constant) Params() []*Param                                       { return nil }
func (c *constant) Forward([]*tensor.Tensor, bool) (*tensor.Tensor, error) { return c.t, nil }
func (c *constant) Backward(*tensor.Tensor, bool) ([]*tensor.Tensor, error) {
	return []*tensor.Tensor{nil}, nil
}

// trainStep runs forward, cross-entropy and backward and returns the
// outputs and a copy of every parameter gradient.
func trainStep(t *testing.T, g *Graph, x *tensor.Tensor) (outs []*tensor.Tensor, grads [][]float32) {
	t.Helper()
	labels := tensor.New(x.Shape[0])
	for i := range labels.Data {
		labels.Data[i] = float32(i % 10)
	}
	loss := must(NewSoftmaxCrossEntropy(CrossEntropyConfig{}))
	g.ZeroGrad()
	outs = must(g.Forward([]*tensor.Tensor{x}, true))
	must(loss.Forward(outs[0], labels))
	if _, err := g.Backward([]*tensor.Tensor{must(loss.Backward())}); err != nil {
		t.Fatal(err)
	}
	for _, p := range g.TrainableParams() {
		grads = append(grads, slices.Clone(p.Grad.Data))
	}
	return outs, grads
}

// TestGraphRecyclingKeepsResultsExact runs the same training step twice on
// networks covering the pooled layers: the second step runs on recycled,
// stale buffers and must give bit-identical outputs and gradients, and the
// first step's outputs, still held, must not change.
func TestGraphRecyclingKeepsResultsExact(t *testing.T) {
	for _, c := range []struct {
		name string
		g    *Graph
		x    *tensor.Tensor
	}{
		{"smallCNN", smallCNN(t), randTensor(1, 0, 1, 8, 28, 28, 1)},
		{"mobileNetV2Block", mobileNetV2Block(t, 16), randTensor(2, -1, 1, 4, 16, 16, 16)},
	} {
		out1, grads1 := trainStep(t, c.g, c.x)
		held := out1[0].Clone()
		for range 2 {
			out2, grads2 := trainStep(t, c.g, c.x)
			if !slices.Equal(out2[0].Data, held.Data) {
				t.Errorf("%s: outputs differ on recycled buffers", c.name)
			}
			for i := range grads1 {
				if !slices.Equal(grads1[i], grads2[i]) {
					t.Errorf("%s: gradient %d differs on recycled buffers", c.name, i)
				}
			}
		}
		if !slices.Equal(out1[0].Data, held.Data) {
			t.Errorf("%s: an output the caller held was overwritten by a later step", c.name)
		}
	}
}

// TestGraphNeverRecyclesForeignStorage checks that storage a layer from
// outside nn returned (and a view of it) survives inference and training
// passes.
func TestGraphNeverRecyclesForeignStorage(t *testing.T) {
	g := NewGraph()
	mustDo(t, g.Input("x"))
	k := randTensor(3, -1, 1, 4, 16, 16, 8)
	want := k.Clone()
	mustDo(t, g.Add("k", &constant{"k", k}, "x"))
	mustDo(t, g.Add("view", NewReshape("view", 16, 16, 8), "k"))
	mustDo(t, g.Add("relu", NewReLU("relu"), "view"))
	mustDo(t, g.Add("conv", must(NewConv2D("conv", Conv2DConfig{InChannels: 8, Filters: 8, KernelH: 1, KernelW: 1, Seed: 1})), "relu"))
	mustDo(t, g.Add("pool", NewGlobalAvgPool("pool", false), "conv"))
	mustDo(t, g.Add("fc", must(NewDense("fc", DenseConfig{In: 8, Out: 10, Seed: 2})), "pool"))
	x := tensor.New(4, 1)
	for range 3 {
		must(g.Forward([]*tensor.Tensor{x}, false))
		trainStep(t, g, x)
		// Scribble over whatever the pool now holds.
		for _, n := range []int{k.Size(), 16 * 16 * 8 * 4} {
			b := getBuffer(n)
			for i := range b {
				b[i] = -7
			}
		}
	}
	if !slices.Equal(k.Data, want.Data) {
		t.Error("the constant layer's tensor was recycled and overwritten")
	}
}

// TestGraphInferenceReusesBuffers checks that repeated inference passes
// take their intermediate activations from the pool instead of allocating.
func TestGraphInferenceReusesBuffers(t *testing.T) {
	g := NewGraph()
	mustDo(t, g.Input("x"))
	mustDo(t, g.Add("a", NewReLU("a"), "x"))
	mustDo(t, g.Add("b", NewSigmoid("b"), "a"))
	mustDo(t, g.Add("c", NewReLU6("c"), "b"))
	mustDo(t, g.Add("pool", NewGlobalAvgPool("pool", false), "c"))
	x := randTensor(4, -1, 1, 8, 32, 32, 16)
	bytes := func() uint64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.TotalAlloc
	}
	best := ^uint64(0)
	for range 5 {
		before := bytes()
		must(g.Forward([]*tensor.Tensor{x}, false))
		best = min(best, bytes()-before)
	}
	// Without the pool each pass allocates three activations of x's size.
	if limit := uint64(x.Size() * 4); best >= limit {
		t.Errorf("an inference pass allocated %d bytes; with pooled activations it should stay under %d", best, limit)
	}
}

func TestBufferClasses(t *testing.T) {
	for n := minPooled; n < 1<<22; n += n/9 + 1 {
		class, size := classAbove(n)
		if size < n || size > n+n/4+1 {
			t.Fatalf("classAbove(%d) = size %d: want n <= size <= 1.25n", n, size)
		}
		if below := classBelow(size); below != class {
			t.Fatalf("classBelow(%d) = %d, want class %d of classAbove(%d)", size, below, class, n)
		}
		if below := classBelow(n); below > class || (below == class && size != n) {
			t.Fatalf("classBelow(%d) = %d: a buffer of that class might not hold %d elements (class above %d, size %d)", n, below, n, class, size)
		}
		b := getBuffer(n)
		if len(b) != n || cap(b) < n {
			t.Fatalf("getBuffer(%d): len %d cap %d", n, len(b), cap(b))
		}
	}
}
