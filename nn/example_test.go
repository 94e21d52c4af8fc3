package nn_test

import (
	"fmt"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// Build a tiny network, freeze its convolution, and run one training step's
// forward and backward passes.
func Example() {
	g := nn.NewGraph()
	_ = g.Input("image")
	conv, _ := nn.NewConv2D("conv", nn.Conv2DConfig{InChannels: 3, Filters: 8, KernelH: 3, KernelW: 3, Padding: nn.PadSame(), Seed: 1})
	bn, _ := nn.NewBatchNorm("bn", nn.BatchNormConfig{Channels: 8})
	head, _ := nn.NewDense("head", nn.DenseConfig{In: 8, Out: 4, Seed: 2})
	_ = g.Add("conv", conv, "image")
	_ = g.Add("bn", bn, "conv")
	_ = g.Add("relu", nn.NewReLU("relu"), "bn")
	_ = g.Add("pool", nn.NewGlobalAvgPool("pool", false), "relu")
	_ = g.Add("head", head, "pool")
	_ = g.FreezeUpTo("pool") // conv and bn frozen; bn uses its running statistics

	x := tensor.New(2, 8, 8, 3)
	labels, _ := tensor.FromData([]float32{1, 3}, 2)
	loss, _ := nn.NewSoftmaxCrossEntropy(nn.CrossEntropyConfig{LabelSmoothing: 0.1})

	g.ZeroGrad()
	y, _ := g.Forward([]*tensor.Tensor{x}, true)
	l, _ := loss.Forward(y[0], labels)
	dy, _ := loss.Backward()
	_, _ = g.Backward([]*tensor.Tensor{dy}) // runs through head only

	fmt.Printf("loss %.4f\n", l)
	for _, p := range g.Params() {
		fmt.Println(p.Name, p.Trainable, p.Grad != nil)
	}
	// Output:
	// loss 1.3863
	// conv/kernel false false
	// conv/bias false false
	// bn/gamma false false
	// bn/beta false false
	// head/kernel true true
	// head/bias true true
}
