package nn

import (
	"math"
	"math/rand/v2"

	"github.com/graft-ml/graft/tensor"
)

// Init names a weight initialisation scheme.
type Init int

const (
	// InitGlorotUniform draws from U(-l, l) with l = sqrt(6/(fanIn+fanOut)),
	// Keras's default for kernels.
	InitGlorotUniform Init = iota
	// InitHeNormal draws from N(0, 2/fanIn), suited to ReLU networks.
	InitHeNormal
	// InitHeUniform draws from U(-l, l) with l = sqrt(6/fanIn).
	InitHeUniform
	// InitTorchDefault draws from U(-l, l) with l = 1/sqrt(fanIn), PyTorch's
	// default for Conv2d and Linear weights.
	InitTorchDefault
	// InitZeros leaves the weights zero.
	InitZeros
)

// fill initialises t in place with a generator seeded by seed.
func (in Init) fill(t *tensor.Tensor, fanIn, fanOut int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	fi, fo := float64(max(fanIn, 1)), float64(max(fanOut, 1))
	uniform := func(l float64) {
		for i := range t.Data {
			t.Data[i] = float32((rng.Float64()*2 - 1) * l)
		}
	}
	switch in {
	case InitGlorotUniform:
		uniform(math.Sqrt(6 / (fi + fo)))
	case InitHeNormal:
		s := math.Sqrt(2 / fi)
		for i := range t.Data {
			t.Data[i] = float32(rng.NormFloat64() * s)
		}
	case InitHeUniform:
		uniform(math.Sqrt(6 / fi))
	case InitTorchDefault:
		uniform(1 / math.Sqrt(fi))
	case InitZeros:
		t.Zero()
	}
}
