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
	g := smallCNN(b)
	x := randTensor(1, 0, 1, 64, 28, 28, 1)
	labels := tensor.New(64)
	for i := range labels.Data {
		labels.Data[i] = float32(i % 10)
	}
	loss, _ := NewSoftmaxCrossEntropy(CrossEntropyConfig{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
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
