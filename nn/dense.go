package nn

import (
	"fmt"

	"github.com/graft-ml/graft/compute"
	"github.com/graft-ml/graft/tensor"
)

// DenseConfig configures a Dense layer.
type DenseConfig struct {
	In, Out int
	// NoBias drops the bias.
	NoBias bool
	// Init and Seed set the kernel's initial values; the bias starts at zero.
	Init Init
	Seed uint64
}

// Dense is a fully connected layer y = x·kernel + bias on the last axis,
// with a Keras-layout kernel [In, Out]. Inputs are usually [N, In]; any
// leading dimensions are treated as batch.
type Dense struct {
	name    string
	in, out int
	// Kernel is [In, Out]; Bias is [Out], or nil without a bias.
	Kernel, Bias *Param
	cache
}

// NewDense returns a fully connected layer with initialised weights.
func NewDense(name string, c DenseConfig) (*Dense, error) {
	if c.In < 1 || c.Out < 1 {
		return nil, fmt.Errorf("%s: %d inputs and %d outputs: both must be positive", name, c.In, c.Out)
	}
	k := tensor.New(c.In, c.Out)
	c.Init.fill(k, c.In, c.Out, c.Seed)
	d := &Dense{name: name, in: c.In, out: c.Out, Kernel: NewParam("kernel", k)}
	if !c.NoBias {
		d.Bias = NewParam("bias", tensor.New(c.Out))
	}
	return d, nil
}

// Name returns the layer's name.
func (d *Dense) Name() string { return d.name }

// Params returns the kernel and, if present, the bias.
func (d *Dense) Params() []*Param {
	if d.Bias == nil {
		return []*Param{d.Kernel}
	}
	return []*Param{d.Kernel, d.Bias}
}

// Forward computes x·kernel + bias.
func (d *Dense) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	d.Release()
	x, err := oneInput(d.name, inputs, 0)
	if err != nil {
		return nil, err
	}
	if x.Rank() < 2 || x.Dim(-1) != d.in {
		return nil, fmt.Errorf("%s: input %v, want [N %d]", d.name, x.Shape, d.in)
	}
	rows := x.Size() / d.in
	shape := append(append([]int(nil), x.Shape[:x.Rank()-1]...), d.out)
	y := newOutput(shape...)
	beta := float32(0)
	if d.Bias != nil {
		for r := 0; r < rows; r++ {
			copy(y.Data[r*d.out:(r+1)*d.out], d.Bias.Value.Data)
		}
		beta = 1
	}
	compute.Gemm(false, false, rows, d.out, d.in, 1, x.Data, d.in, d.Kernel.Value.Data, d.out, beta, y.Data, d.out)
	if training {
		d.keep(x)
		d.shapes = [][]int{y.Shape}
	}
	return y, nil
}

// Backward adds the kernel and bias gradients and returns dLoss/dInput.
func (d *Dense) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if err := d.ready(d.name); err != nil {
		return nil, err
	}
	x, yShape := d.ts[0], d.shapes[0]
	defer d.Release()
	if err := checkGradShape(d.name, gradOut, yShape); err != nil {
		return nil, err
	}
	rows := x.Size() / d.in
	if d.Kernel.Trainable {
		compute.Gemm(true, false, d.in, d.out, rows, 1, x.Data, d.in, gradOut.Data, d.out, 1, d.Kernel.EnsureGrad().Data, d.out)
	}
	if d.Bias != nil && d.Bias.Trainable {
		compute.ChannelSumAdd(d.Bias.EnsureGrad().Data, gradOut.Data)
	}
	if !needInputGrad {
		return nil, nil
	}
	dx := newOutput(x.Shape...)
	compute.Gemm(false, true, rows, d.in, d.out, 1, gradOut.Data, d.out, d.Kernel.Value.Data, d.out, 0, dx.Data, d.in)
	return []*tensor.Tensor{dx}, nil
}
