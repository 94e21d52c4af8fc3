// Package gradcheck checks a layer's hand-written float32 Forward and
// Backward against a plain float64 reference forward, for tests only:
//
//  1. the reference must agree with the layer's Forward on the same inputs
//     (so it is the right function), and
//  2. central differences of the reference, in float64 with a tiny step,
//     give the gradient of the scalar loss sum(r*y), r a fixed random
//     tensor, with respect to every input and parameter element, which the
//     layer's Backward must match.
//
// It imports only package tensor, so that package nn's own tests can use it
// (a package that imported nn could not be imported by nn's tests). Layers
// are anything with nn.Layer's Forward and Backward; their parameters are
// described to the checker as Params.
package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

const (
	// Step is the central-difference step. In float64 the truncation error
	// is about Step²·|f'''| ≈ 1e-12 and the rounding error about
	// 1e-16·|loss|/Step ≈ 1e-10·|loss| (|loss| = |Σ r·y| is at most a few
	// hundred in these checks), both far below the float32 errors measured.
	Step = 1e-6
	// ForwardTol bounds max|y32 - y64| / max|y64|. A float32 output is a
	// rounded sum of at most a few dozen products: its error is a few ulps
	// (6e-8 each) of the largest terms, so 1e-5 leaves a wide margin while a
	// wrong padding, stride or divisor gives errors of order 1e-1.
	ForwardTol = 1e-5
	// GradTol bounds |analytic - numeric| per element, relative to
	// max(|numeric|, GradFloor·m), m the largest |numeric| of the tensor.
	// The analytic gradient is computed in float32: each element is a sum of
	// at most a few hundred rounded products (unit roundoff 6e-8), so its
	// error is about 1e-6 of the tensor's magnitude at worst. 1e-4 leaves
	// that a margin of 100 and still catches a gradient off by 1e-3.
	GradTol = 1e-4
	// GradFloor keeps elements that are tiny through cancellation from being
	// judged on rounding noise alone (see GradTol).
	GradFloor = 1e-2
	// lossSeed seeds the random projection r of the output.
	lossSeed = 99
)

// Layer is the part of nn.Layer the checker runs.
type Layer interface {
	// Forward computes the output, keeping what Backward needs when
	// training is true.
	Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error)
	// Backward adds to the parameters' gradients and returns one gradient
	// per input.
	Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error)
}

// Param describes one learned tensor of the checked layer.
type Param struct {
	// Name names the parameter in reports.
	Name string
	// Value holds the parameter's current values.
	Value *tensor.Tensor
	// Grad points at the layer's gradient field, which Backward may
	// allocate; the checker zeroes it before Backward.
	Grad **tensor.Tensor
	// Trainable says whether Backward must produce a gradient; an untrainable
	// parameter's gradient must stay nil or zero.
	Trainable bool
}

// T64 is a float64 tensor: a shape and row-major data.
type T64 struct {
	Shape []int
	Data  []float64
}

// New64 returns a zero T64 of the given shape.
func New64(shape ...int) T64 {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return T64{Shape: append([]int(nil), shape...), Data: make([]float64, n)}
}

// To64 converts a float32 tensor to float64, exactly.
func To64(x *tensor.Tensor) T64 {
	t := New64(x.Shape...)
	for i, v := range x.Data {
		t.Data[i] = float64(v)
	}
	return t
}

// Case is one layer on fixed inputs with its float64 reference.
type Case struct {
	// Name names the subtest.
	Name string
	// Layer is the layer under test.
	Layer Layer
	// Inputs are the layer's inputs.
	Inputs []*tensor.Tensor
	// Params are the layer's learned parameters, in the order Ref takes them.
	Params []Param
	// Ref computes the output from the inputs and the parameter values, all
	// in float64. The checker perturbs x and p in place between calls.
	Ref func(x []T64, p [][]float64) T64
	// Before, when set, runs before the layer's Forward (to fix a random mask).
	Before func()
	// MaxChecks, when positive, bounds the elements checked per tensor
	// (a fixed random sample); zero checks every element.
	MaxChecks int
}

// Report is the outcome of one check: the worst forward and gradient
// errors (as bounded by ForwardTol and GradTol) and what failed.
type Report struct {
	// FwdErr is max|y32 - y64| / max|y64|.
	FwdErr float64
	// GradErr is the worst per-element gradient error, as GradTol measures it.
	GradErr float64
	// Problems lists every failure; empty when the case passed.
	Problems []string
}

// Failf records a failure.
func (r *Report) Failf(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Run runs both checks on c.
func Run(c Case) Report {
	var rep Report
	l := c.Layer
	if c.Before != nil {
		c.Before()
	}
	y, err := l.Forward(c.Inputs, true)
	if err != nil {
		rep.Failf("forward: %v", err)
		return rep
	}
	if y == nil {
		rep.Failf("forward returned no output")
		return rep
	}
	xs := make([]T64, len(c.Inputs))
	for k, x := range c.Inputs {
		xs[k] = To64(x)
	}
	ps := make([][]float64, len(c.Params))
	for j, p := range c.Params {
		ps[j] = To64(p.Value).Data
	}
	// Check 1: the reference is the layer's function.
	want := c.Ref(xs, ps)
	if !tensor.EqualShapes(y.Shape, want.Shape) || len(y.Data) != len(want.Data) {
		rep.Failf("output shape %v, reference %v", y.Shape, want.Shape)
		return rep
	}
	var diff, scale float64
	for i, v := range want.Data {
		diff = math.Max(diff, math.Abs(float64(y.Data[i])-v))
		scale = math.Max(scale, math.Abs(v))
	}
	if rep.FwdErr = diff / math.Max(scale, 1e-30); !(rep.FwdErr <= ForwardTol) {
		rep.Failf("forward differs from the reference: relative error %.3g", rep.FwdErr)
	}
	// Check 2: analytic gradients of sum(r*y) against central differences.
	r := Uniform(lossSeed, -1, 1, y.Shape...)
	r64 := To64(r).Data
	for _, p := range c.Params {
		if g := *p.Grad; g != nil {
			g.Zero()
		}
	}
	dx, err := l.Backward(r, true)
	if err != nil {
		rep.Failf("backward: %v", err)
		return rep
	}
	if len(dx) != len(c.Inputs) {
		rep.Failf("%d input gradients for %d inputs", len(dx), len(c.Inputs))
		return rep
	}
	loss := func() float64 {
		var s float64
		for i, v := range c.Ref(xs, ps).Data {
			s += r64[i] * v
		}
		return s
	}
	for k, x := range xs {
		if dx[k] == nil || !tensor.EqualShapes(dx[k].Shape, x.Shape) || len(dx[k].Data) != len(x.Data) {
			rep.Failf("input %d: gradient %v for input %v", k, shapeOf(dx[k]), x.Shape)
			continue
		}
		rep.Compare(fmt.Sprintf("input %d", k), dx[k].Data, x.Data, loss, c.MaxChecks)
	}
	for j, p := range c.Params {
		g := *p.Grad
		switch {
		case !p.Trainable:
			if g != nil && slices.ContainsFunc(g.Data, func(v float32) bool { return v != 0 }) {
				rep.Failf("%s is not trainable but got a gradient", p.Name)
			}
		case g == nil || len(g.Data) != len(ps[j]):
			rep.Failf("%s: no gradient of %d elements", p.Name, len(ps[j]))
		default:
			rep.Compare(p.Name, g.Data, ps[j], loss, c.MaxChecks)
		}
	}
	return rep
}

// shapeOf is t's shape, nil for a nil tensor.
func shapeOf(t *tensor.Tensor) []int {
	if t == nil {
		return nil
	}
	return t.Shape
}

// Compare checks every element of an analytic gradient (or maxChecks of
// them, when positive) against central differences of loss with respect to
// v, which it perturbs and restores.
func (r *Report) Compare(what string, analytic []float32, v []float64, loss func() float64, maxChecks int) {
	if len(analytic) != len(v) {
		r.Failf("%s: %d gradient elements for %d values", what, len(analytic), len(v))
		return
	}
	idx := SampleIndices(len(v), maxChecks)
	numeric := make([]float64, len(v))
	var m float64
	for _, i := range idx {
		old := v[i]
		v[i] = old + Step
		lp := loss()
		v[i] = old - Step
		lm := loss()
		v[i] = old
		numeric[i] = (lp - lm) / (2 * Step)
		m = math.Max(m, math.Abs(numeric[i]))
	}
	bad := 0
	for _, i := range idx {
		n := numeric[i]
		e := math.Abs(float64(analytic[i])-n) / math.Max(math.Max(math.Abs(n), GradFloor*m), 1e-30)
		r.GradErr = math.Max(r.GradErr, e)
		if !(e <= GradTol) {
			if bad < 3 {
				r.Failf("%s[%d]: analytic %.9g, numeric %.9g (relative error %.3g)", what, i, analytic[i], n, e)
			}
			bad++
		}
	}
	if bad > 0 {
		r.Failf("%s: %d of %d elements differ", what, bad, len(idx))
	}
}

// Check runs the cases as subtests of t and logs each one's worst errors.
func Check(t *testing.T, cases []Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			rep := Run(c)
			for _, p := range rep.Problems {
				t.Error(p)
			}
			t.Logf("forward rel err %.2g, gradient rel err %.2g", rep.FwdErr, rep.GradErr)
		})
	}
}

// SampleIndices returns all of 0..n-1 when k <= 0 or n <= k, and otherwise
// k distinct indices drawn by a generator seeded with n (the same sample
// every run).
func SampleIndices(n, k int) []int {
	if k <= 0 || n <= k {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	rng := rand.New(rand.NewPCG(uint64(n), 3))
	return rng.Perm(n)[:k]
}

// Uniform returns a tensor of uniform values in [lo, hi) from a seeded
// generator.
func Uniform(seed uint64, lo, hi float64, shape ...int) *tensor.Tensor {
	rng := rand.New(rand.NewPCG(seed, 7))
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return t
}

// Avoiding returns uniform values in [lo, hi) that are at least gap away
// from every kink, so that no finite-difference step crosses one. The
// interval must not lie entirely within gap of the kinks.
func Avoiding(seed uint64, lo, hi float64, kinks []float64, gap float64, shape ...int) *tensor.Tensor {
	rng := rand.New(rand.NewPCG(seed, 17))
	t := tensor.New(shape...)
	for i := range t.Data {
	draw:
		v := lo + (hi-lo)*rng.Float64()
		for _, k := range kinks {
			if math.Abs(v-k) < gap {
				goto draw
			}
		}
		t.Data[i] = float32(v)
	}
	return t
}
