package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/graft-ml/graft/tensor"
)

// Dropout zeroes each element with probability Rate during training and
// scales the survivors by 1/(1-Rate) (inverted dropout); at inference it
// returns its input unchanged. Its random numbers come from a generator
// seeded at construction, so runs repeat exactly.
type Dropout struct {
	name string
	rate float64
	seed uint64
	rng  *rand.Rand
	cache
}

// NewDropout returns a dropout layer; rate must be in [0, 1).
func NewDropout(name string, rate float64, seed uint64) (*Dropout, error) {
	if rate < 0 || rate >= 1 {
		return nil, fmt.Errorf("%s: rate %g must be in [0, 1)", name, rate)
	}
	d := &Dropout{name: name, rate: rate, seed: seed}
	d.Reseed(seed)
	return d, nil
}

// Reseed restarts the random sequence from seed.
func (d *Dropout) Reseed(seed uint64) { d.rng = rand.New(rand.NewPCG(seed, 0xd0)) }

// Rate returns the drop probability.
func (d *Dropout) Rate() float64 { return d.rate }

// Name returns the layer's name.
func (d *Dropout) Name() string { return d.name }

// Params returns nil.
func (d *Dropout) Params() []*Param { return nil }

// Forward drops elements when training and passes x through otherwise.
func (d *Dropout) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	d.Release()
	x, err := oneInput(d.name, inputs, 0)
	if err != nil {
		return nil, err
	}
	if !training || d.rate == 0 {
		if training {
			d.live = true
			d.shapes = [][]int{append([]int(nil), x.Shape...)}
		}
		return x, nil
	}
	mask := tensor.New(x.Shape...)
	y := newOutput(x.Shape...)
	scale := float32(1 / (1 - d.rate))
	for i, v := range x.Data {
		if d.rng.Float64() >= d.rate {
			mask.Data[i] = scale
		}
		y.Data[i] = v * mask.Data[i]
	}
	d.keep(mask)
	return y, nil
}

// Backward multiplies the gradient by the mask Forward used.
func (d *Dropout) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if err := d.ready(d.name); err != nil {
		return nil, err
	}
	defer d.Release()
	if len(d.ts) == 0 { // rate 0: identity
		if err := checkGradShape(d.name, gradOut, d.shapes[0]); err != nil {
			return nil, err
		}
		if !needInputGrad {
			return nil, nil
		}
		return []*tensor.Tensor{gradOut}, nil
	}
	mask := d.ts[0]
	if err := checkGradShape(d.name, gradOut, mask.Shape); err != nil {
		return nil, err
	}
	if !needInputGrad {
		return nil, nil
	}
	dx := newOutput(mask.Shape...)
	for i, m := range mask.Data {
		dx.Data[i] = gradOut.Data[i] * m
	}
	return []*tensor.Tensor{dx}, nil
}
