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

// TestGraphRecyclingKeepsResultsExact runs the same training step on
// networks covering the layers that take pooled buffers, first without the
// pool (zeroed fresh buffers, as tensor.New gives), then three times with
// it, on poisoned buffers: outputs and gradients must be bit-identical, and
// the outputs of earlier steps, still held, must not change.
func TestGraphRecyclingKeepsResultsExact(t *testing.T) {
	for _, c := range []struct {
		name string
		g    *Graph
		x    *tensor.Tensor
	}{
		{"smallCNN", smallCNN(t), randTensor(1, 0, 1, 8, 28, 28, 1)},
		{"mobileNetV2Block", mobileNetV2Block(t, 16), randTensor(2, -1, 1, 4, 16, 16, 16)},
		{"mixedLayers", mixedLayers(t), randTensor(3, -1, 1, 4, 16, 16, 8)},
		{"viewOfKept", viewOfKept(t), randTensor(4, -1, 1, 4, 16, 16, 8)},
		{"foreignKeeper", foreignKeeper(t), randTensor(5, -1, 1, 4, 16, 16, 8)},
		{"convVariants", convVariants(t), randTensor(6, -1, 1, 4, 17, 17, 8)},
	} {
		floatBuffers.bypass, indexBuffers.bypass = true, true
		ref, refGrads := trainStep(t, c.g, c.x)
		floatBuffers.bypass, indexBuffers.bypass = false, false
		var held []*tensor.Tensor
		for step := range 3 {
			out, grads := trainStep(t, c.g, c.x)
			held = append(held, out[0])
			if !slices.Equal(out[0].Data, ref[0].Data) {
				t.Errorf("%s step %d: outputs differ with pooled buffers", c.name, step)
			}
			for i := range refGrads {
				if !slices.Equal(grads[i], refGrads[i]) {
					t.Errorf("%s step %d: gradient %d differs with pooled buffers", c.name, step, i)
				}
			}
		}
		for step, h := range held {
			if !slices.Equal(h.Data, ref[0].Data) {
				t.Errorf("%s: the output of step %d, still held, was overwritten by a later step", c.name, step)
			}
		}
	}
}

// mixedLayers is a network of the remaining layers that take pooled
// buffers, at sizes big enough to be pooled, for [N 16 16 8] inputs.
func mixedLayers(t *testing.T) *Graph {
	g := NewGraph()
	mustDo(t, g.Input("x"))
	mustDo(t, g.Add("pad", must(NewZeroPadding2D("pad", 1, 1, 1, 1)), "x"))
	mustDo(t, g.Add("conv", must(NewConv2D("conv", Conv2DConfig{InChannels: 8, Filters: 8, KernelH: 3, KernelW: 3, Seed: 1})), "pad"))
	mustDo(t, g.Add("leaky", NewLeakyReLU("leaky", 0.1), "conv"))
	mustDo(t, g.Add("cat", NewConcat("cat"), "leaky", "conv"))
	mustDo(t, g.Add("avg", must(NewAvgPool2D("avg", Pool2DConfig{PoolH: 3, PoolW: 3, StrideH: 1, StrideW: 1, Padding: PadSame()})), "cat"))
	mustDo(t, g.Add("squeeze", NewGlobalAvgPool("squeeze", false), "cat"))
	mustDo(t, g.Add("excite", must(NewDense("excite", DenseConfig{In: 16, Out: 16, Seed: 2})), "squeeze"))
	mustDo(t, g.Add("gate", NewHardSigmoid("gate", HardSigmoidTorch, 0.5), "excite"))
	mustDo(t, g.Add("scaled", NewMultiply("scaled"), "avg", "gate"))
	mustDo(t, g.Add("relu6", NewReLU6("relu6"), "scaled"))
	mustDo(t, g.Add("prod", NewMultiply("prod"), "scaled", "relu6"))
	mustDo(t, g.Add("swish", NewSwish("swish"), "prod"))
	mustDo(t, g.Add("softmax", NewSoftmax("softmax"), "swish"))
	mustDo(t, g.Add("max", NewGlobalMaxPool("max", false), "softmax"))
	mustDo(t, g.Add("head", must(NewDense("head", DenseConfig{In: 16, Out: 10, Seed: 3})), "max"))
	return g
}

// viewOfKept reaches an activation that its own layer keeps for Backward
// through a view whose consumer keeps nothing.
func viewOfKept(t *testing.T) *Graph {
	g := NewGraph()
	mustDo(t, g.Input("x"))
	mustDo(t, g.Add("conv", must(NewConv2D("conv", Conv2DConfig{InChannels: 8, Filters: 8, KernelH: 1, KernelW: 1, Seed: 1})), "x"))
	mustDo(t, g.Add("relu", NewReLU("relu"), "conv"))
	mustDo(t, g.Add("view", NewReshape("view", 16, 16, 8), "relu"))
	mustDo(t, g.Add("cat", NewConcat("cat"), "view", "view"))
	mustDo(t, g.Add("pool", NewGlobalAvgPool("pool", false), "cat"))
	mustDo(t, g.Add("head", must(NewDense("head", DenseConfig{In: 16, Out: 10, Seed: 2})), "pool"))
	return g
}

// square is a layer from "another package" computing x², which keeps its
// input for Backward.
type square struct {
	name string
	x    *tensor.Tensor
}

func (s *square) Name() string     { return s.name }
func (s *square) Params() []*Param { return nil }
func (s *square) Release()         { s.x = nil }
func (s *square) Forward(in []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	y := tensor.New(in[0].Shape...)
	for i, v := range in[0].Data {
		y.Data[i] = v * v
	}
	if training {
		s.x = in[0]
	}
	return y, nil
}
func (s *square) Backward(dy *tensor.Tensor, need bool) ([]*tensor.Tensor, error) {
	dx := tensor.New(dy.Shape...)
	for i, v := range s.x.Data {
		dx.Data[i] = 2 * v * dy.Data[i]
	}
	s.x = nil
	return []*tensor.Tensor{dx}, nil
}

// foreignKeeper feeds an nn activation to a foreign layer that keeps it.
func foreignKeeper(t *testing.T) *Graph {
	g := NewGraph()
	mustDo(t, g.Input("x"))
	mustDo(t, g.Add("conv", must(NewConv2D("conv", Conv2DConfig{InChannels: 8, Filters: 8, KernelH: 1, KernelW: 1, Seed: 1})), "x"))
	mustDo(t, g.Add("square", &square{name: "square"}, "conv"))
	mustDo(t, g.Add("pool", NewGlobalAvgPool("pool", false), "square"))
	mustDo(t, g.Add("head", must(NewDense("head", DenseConfig{In: 8, Out: 10, Seed: 2})), "pool"))
	return g
}

// convVariants chains grouped, dilated, strided and depthwise
// convolutions with padding, for [N 17 17 8] inputs.
func convVariants(t *testing.T) *Graph {
	g := NewGraph()
	mustDo(t, g.Input("x"))
	add := func(name string, c Conv2DConfig, in string) {
		c.Seed = uint64(len(g.Nodes()))
		mustDo(t, g.Add(name, must(NewConv2D(name, c)), in))
	}
	add("pw", Conv2DConfig{InChannels: 8, Filters: 16, KernelH: 1, KernelW: 1}, "x")
	add("grouped", Conv2DConfig{InChannels: 16, Filters: 16, KernelH: 3, KernelW: 3, DilationH: 2, DilationW: 2, Groups: 4, Padding: PadSame()}, "pw")
	add("strided", Conv2DConfig{InChannels: 16, Filters: 32, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, Padding: PadSame()}, "grouped")
	mustDo(t, g.Add("dw", must(NewDepthwiseConv2D("dw", DepthwiseConv2DConfig{Channels: 32, Multiplier: 2, KernelH: 5, KernelW: 5, StrideH: 2, StrideW: 2, Padding: PadSame(), Seed: 9})), "strided"))
	add("valid", Conv2DConfig{InChannels: 64, Filters: 64, KernelH: 2, KernelW: 2}, "dw")
	mustDo(t, g.Add("pool", NewGlobalMaxPool("pool", false), "valid"))
	mustDo(t, g.Add("head", must(NewDense("head", DenseConfig{In: 64, Out: 10, Seed: 2})), "pool"))
	return g
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
