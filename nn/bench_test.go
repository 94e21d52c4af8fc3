package nn

import (
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// smallCNN is the Fashion-MNIST-sized network the training tests use:
// conv32-bn-relu-pool, conv64-bn-relu-pool, dense 10.
func smallCNN(b testing.TB) *Graph {
	g := NewGraph()
	add := func(name string, l Layer, err error, in string) {
		if err != nil {
			b.Fatal(err)
		}
		if err := g.Add(name, l, in); err != nil {
			b.Fatal(err)
		}
	}
	if err := g.Input("x"); err != nil {
		b.Fatal(err)
	}
	c1, err := NewConv2D("c1", Conv2DConfig{InChannels: 1, Filters: 32, KernelH: 3, KernelW: 3, Padding: PadSame(), Init: InitHeNormal})
	add("c1", c1, err, "x")
	bn1, err := NewBatchNorm("bn1", BatchNormConfig{Channels: 32})
	add("bn1", bn1, err, "c1")
	add("r1", NewReLU("r1"), nil, "bn1")
	p1, err := NewMaxPool2D("p1", Pool2DConfig{PoolH: 2, PoolW: 2})
	add("p1", p1, err, "r1")
	c2, err := NewConv2D("c2", Conv2DConfig{InChannels: 32, Filters: 64, KernelH: 3, KernelW: 3, Padding: PadSame(), Init: InitHeNormal})
	add("c2", c2, err, "p1")
	bn2, err := NewBatchNorm("bn2", BatchNormConfig{Channels: 64})
	add("bn2", bn2, err, "c2")
	add("r2", NewReLU("r2"), nil, "bn2")
	p2, err := NewMaxPool2D("p2", Pool2DConfig{PoolH: 2, PoolW: 2})
	add("p2", p2, err, "r2")
	add("flat", NewFlatten("flat"), nil, "p2")
	fc, err := NewDense("fc", DenseConfig{In: 7 * 7 * 64, Out: 10})
	add("fc", fc, err, "flat")
	return g
}

// BenchmarkSmallCNNTrainStep times forward + loss + backward of smallCNN on
// a batch of 64 28x28 images.
func BenchmarkSmallCNNTrainStep(b *testing.B) {
	benchTrainStep(b, smallCNN(b), randTensor(1, 0, 1, 64, 28, 28, 1))
}

// mobileNetV2Block is MobileNetV2's inverted residual at expansion 6 on c
// channels: 1x1 expand, BN, ReLU6, 3x3 depthwise, BN, ReLU6, 1x1 project,
// BN, residual Add, then a global pool and a dense head so that it trains
// against a loss.
func mobileNetV2Block(b testing.TB, c int) *Graph {
	g := NewGraph()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(g.Input("x"))
	e := 6 * c
	expand, err := NewConv2D("expand", Conv2DConfig{InChannels: c, Filters: e, KernelH: 1, KernelW: 1, NoBias: true, Init: InitHeNormal, Seed: 1})
	must(err)
	dw, err := NewDepthwiseConv2D("dw", DepthwiseConv2DConfig{Channels: e, KernelH: 3, KernelW: 3, Padding: PadSame(), NoBias: true, Init: InitHeNormal, Seed: 2})
	must(err)
	project, err := NewConv2D("project", Conv2DConfig{InChannels: e, Filters: c, KernelH: 1, KernelW: 1, NoBias: true, Init: InitHeNormal, Seed: 3})
	must(err)
	bn := func(name string, ch int) Layer {
		l, err := NewBatchNorm(name, BatchNormConfig{Channels: ch})
		must(err)
		return l
	}
	head, err := NewDense("head", DenseConfig{In: c, Out: 10, Seed: 4})
	must(err)
	must(g.Add("expand", expand, "x"))
	must(g.Add("expand_bn", bn("expand_bn", e), "expand"))
	must(g.Add("expand_relu", NewReLU6("expand_relu"), "expand_bn"))
	must(g.Add("dw", dw, "expand_relu"))
	must(g.Add("dw_bn", bn("dw_bn", e), "dw"))
	must(g.Add("dw_relu", NewReLU6("dw_relu"), "dw_bn"))
	must(g.Add("project", project, "dw_relu"))
	must(g.Add("project_bn", bn("project_bn", c), "project"))
	must(g.Add("add", NewAdd("add"), "x", "project_bn"))
	must(g.Add("pool", NewGlobalAvgPool("pool", false), "add"))
	must(g.Add("head", head, "pool"))
	return g
}

// BenchmarkMobileNetV2BlockTrainStep times forward + loss + backward of an
// inverted residual block on a batch of 32 32x32x16 inputs.
func BenchmarkMobileNetV2BlockTrainStep(b *testing.B) {
	benchTrainStep(b, mobileNetV2Block(b, 16), randTensor(1, -1, 1, 32, 32, 32, 16))
}

// benchTrainStep times forward + softmax cross-entropy + backward of g on x
// with labels cycling through ten classes.
func benchTrainStep(b *testing.B, g *Graph, x *tensor.Tensor) {
	labels := tensor.New(x.Shape[0])
	for i := range labels.Data {
		labels.Data[i] = float32(i % 10)
	}
	loss, _ := NewSoftmaxCrossEntropy(CrossEntropyConfig{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g.ZeroGrad()
		y, err := g.Forward([]*tensor.Tensor{x}, true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := loss.Forward(y[0], labels); err != nil {
			b.Fatal(err)
		}
		d, _ := loss.Backward()
		if _, err := g.Backward([]*tensor.Tensor{d}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSmallCNNInference times an inference forward pass of smallCNN
// on a batch of 64.
func BenchmarkSmallCNNInference(b *testing.B) {
	g := smallCNN(b)
	x := randTensor(1, 0, 1, 64, 28, 28, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := g.Forward([]*tensor.Tensor{x}, false); err != nil {
			b.Fatal(err)
		}
	}
}
