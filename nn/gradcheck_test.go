package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/graft-ml/graft/internal/gradcheck"
	"github.com/graft-ml/graft/tensor"
)

// randTensor returns a tensor of uniform values in [lo, hi) from a seeded generator.
func randTensor(seed uint64, lo, hi float64, shape ...int) *tensor.Tensor {
	return gradcheck.Uniform(seed, lo, hi, shape...)
}

// awayFromZero returns values in ±[lo, hi] with random signs, so that kinks
// at zero stay further than a finite-difference step away.
func awayFromZero(seed uint64, lo, hi float64, shape ...int) *tensor.Tensor {
	rng := rand.New(rand.NewPCG(seed, 11))
	t := tensor.New(shape...)
	for i := range t.Data {
		v := lo + (hi-lo)*rng.Float64()
		if rng.IntN(2) == 0 {
			v = -v
		}
		t.Data[i] = float32(v)
	}
	return t
}

// distinctValues returns a random permutation of evenly spaced values with
// the given gap, so that max-pooling has a unique winner per window.
func distinctValues(seed uint64, gap float64, shape ...int) *tensor.Tensor {
	rng := rand.New(rand.NewPCG(seed, 13))
	t := tensor.New(shape...)
	perm := rng.Perm(len(t.Data))
	for i, p := range perm {
		t.Data[i] = float32(float64(p-len(t.Data)/2) * gap)
	}
	return t
}

// gradCase configures a finite-difference gradient check.
type gradCase struct {
	eps, atol, rtol float64
	// before runs before every forward (e.g. to reset a dropout RNG).
	before func()
	// maxChecks bounds the number of elements checked per tensor.
	maxChecks int
}

func defaultGradCase() gradCase { return gradCase{eps: 1e-2, atol: 2e-3, rtol: 1e-2, maxChecks: 300} }

// projectedLoss is sum(r*y) accumulated in float64.
func projectedLoss(y, r *tensor.Tensor) float64 {
	var s float64
	for i, v := range y.Data {
		s += float64(v) * float64(r.Data[i])
	}
	return s
}

// checkLayerGrads compares l's analytic input and parameter gradients with
// central differences of loss = sum(r*y) for a fixed random r. The
// differences go through the float32 Forward, so its tolerances are loose
// (a gradient 0.1% off passes); grad64_test.go holds the tight float64
// checks of every layer and loss.
func checkLayerGrads(t *testing.T, l Layer, inputs []*tensor.Tensor, gc gradCase) {
	t.Helper()
	forward := func() *tensor.Tensor {
		t.Helper()
		if gc.before != nil {
			gc.before()
		}
		y, err := l.Forward(inputs, true)
		if err != nil {
			t.Fatalf("%s forward: %v", l.Name(), err)
		}
		return y
	}
	y := forward()
	r := randTensor(99, -1, 1, y.Shape...)
	for _, p := range l.Params() {
		p.ZeroGrad()
	}
	dx, err := l.Backward(r, true)
	if err != nil {
		t.Fatalf("%s backward: %v", l.Name(), err)
	}
	if len(dx) != len(inputs) {
		t.Fatalf("%s: %d input gradients for %d inputs", l.Name(), len(dx), len(inputs))
	}
	numeric := func(v []float32, i int) float64 {
		old := v[i]
		v[i] = old + float32(gc.eps)
		lp := projectedLoss(forward(), r)
		v[i] = old - float32(gc.eps)
		lm := projectedLoss(forward(), r)
		v[i] = old
		if rl, ok := l.(Releaser); ok {
			rl.Release()
		}
		return (lp - lm) / (2 * gc.eps)
	}
	compare := func(what string, analytic, value *tensor.Tensor) {
		t.Helper()
		if !tensor.SameShape(analytic, value) {
			t.Fatalf("%s %s: gradient shape %v, value shape %v", l.Name(), what, analytic.Shape, value.Shape)
		}
		idx := sampleIndices(len(value.Data), gc.maxChecks)
		bad := 0
		for _, i := range idx {
			n := numeric(value.Data, i)
			a := float64(analytic.Data[i])
			if math.Abs(a-n) > gc.atol+gc.rtol*math.Max(math.Abs(a), math.Abs(n)) {
				if bad < 5 {
					t.Errorf("%s %s[%d]: analytic %.6g, numeric %.6g", l.Name(), what, i, a, n)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s %s: %d of %d elements differ", l.Name(), what, bad, len(idx))
		}
	}
	for k, x := range inputs {
		if dx[k] == nil {
			t.Fatalf("%s: nil gradient for input %d", l.Name(), k)
		}
		compare("input"+string(rune('0'+k)), dx[k], x)
	}
	for _, p := range l.Params() {
		if !p.Trainable {
			continue
		}
		if p.Grad == nil {
			t.Fatalf("%s %s: no gradient", l.Name(), p.Name)
		}
		compare(p.Name, p.Grad.Clone(), p.Value)
	}
}

// sampleIndices returns all of [0, n) or, when n > k, k spread-out indices.
func sampleIndices(n, k int) []int { return gradcheck.SampleIndices(n, k) }
