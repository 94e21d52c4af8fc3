package gradcheck

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// toy is y = x*w[c] + b[c] over the last axis, with w and b learned, and
// optional bugs for the checker to find.
type toy struct {
	w, b           *tensor.Tensor
	gw, gb         *tensor.Tensor
	x              *tensor.Tensor
	dropInputGrad  bool // return no input gradient
	wrongGradShape bool // return the input gradient flattened
}

func newToy(c int) *toy {
	return &toy{w: Uniform(1, 0.5, 2, c), b: Uniform(2, -1, 1, c)}
}

func (l *toy) params(trainable bool) []Param {
	return []Param{{Name: "w", Value: l.w, Grad: &l.gw, Trainable: trainable}, {Name: "b", Value: l.b, Grad: &l.gb, Trainable: trainable}}
}

func (l *toy) Forward(in []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	x := in[0]
	c := len(l.w.Data)
	y := tensor.New(x.Shape...)
	for i, v := range x.Data {
		y.Data[i] = v*l.w.Data[i%c] + l.b.Data[i%c]
	}
	if training {
		l.x = x
	}
	return y, nil
}

func (l *toy) Backward(g *tensor.Tensor, _ bool) ([]*tensor.Tensor, error) {
	if l.x == nil {
		return nil, errors.New("toy: no forward")
	}
	c := len(l.w.Data)
	if l.gw == nil {
		l.gw, l.gb = tensor.New(c), tensor.New(c)
	}
	dx := tensor.New(l.x.Shape...)
	for i, v := range g.Data {
		dx.Data[i] = v * l.w.Data[i%c]
		l.gw.Data[i%c] += v * l.x.Data[i]
		l.gb.Data[i%c] += v
	}
	l.x = nil
	switch {
	case l.dropInputGrad:
		return nil, nil
	case l.wrongGradShape:
		dx.Shape = []int{len(dx.Data)}
	}
	return []*tensor.Tensor{dx}, nil
}

// toyRef is toy's function in float64.
func toyRef(x []T64, p [][]float64) T64 {
	y := New64(x[0].Shape...)
	c := len(p[0])
	for i, v := range x[0].Data {
		y.Data[i] = v*p[0][i%c] + p[1][i%c]
	}
	return y
}

func toyCase(l *toy, trainable bool) Case {
	return Case{Name: "toy", Layer: l, Inputs: []*tensor.Tensor{Uniform(3, -2, 2, 2, 3, 4)}, Params: l.params(trainable),
		Ref: toyRef}
}

func TestRunPassesAndCatchesPlantedErrors(t *testing.T) {
	rep := Run(toyCase(newToy(4), true))
	if len(rep.Problems) > 0 {
		t.Fatalf("correct layer fails: %v", rep.Problems)
	}
	if !(rep.FwdErr <= ForwardTol && rep.GradErr <= GradTol) {
		t.Errorf("errors %.3g, %.3g beyond the tolerances", rep.FwdErr, rep.GradErr)
	}
	ExpectCaught(t, func() Case { return toyCase(newToy(4), true) })
}

func TestRunReportsBrokenLayers(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(*toy) Case
		want  string
	}{
		{"no input gradient", func(l *toy) Case { l.dropInputGrad = true; return toyCase(l, true) }, "0 input gradients"},
		{"gradient shape", func(l *toy) Case { l.wrongGradShape = true; return toyCase(l, true) }, "input 0: gradient [24]"},
		{"untrainable gets gradient", func(l *toy) Case { return toyCase(l, false) }, "w is not trainable"},
		{"output shape", func(l *toy) Case {
			c := toyCase(l, true)
			c.Ref = func(x []T64, _ [][]float64) T64 { return New64(len(x[0].Data)) }
			return c
		}, "output shape"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := Run(c.setup(newToy(4)))
			if !slices.ContainsFunc(rep.Problems, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("problems %q, want one containing %q", rep.Problems, c.want)
			}
		})
	}
}

func TestCompareCountsEveryBadElement(t *testing.T) {
	// loss = Σ 3·v: the gradient is 3 everywhere; two elements are wrong.
	v := []float64{1, 2, 3, 4, 5}
	loss := func() float64 {
		var s float64
		for _, x := range v {
			s += 3 * x
		}
		return s
	}
	var r Report
	r.Compare("v", []float32{3, 3.01, 3, 3, 2}, v, loss, 0)
	if len(r.Problems) != 3 || !strings.Contains(r.Problems[2], "2 of 5 elements differ") {
		t.Errorf("problems %q", r.Problems)
	}
	if math.Abs(r.GradErr-1.0/3) > 1e-6 {
		t.Errorf("worst error %.9g, want 1/3", r.GradErr)
	}
	if !slices.Equal(v, []float64{1, 2, 3, 4, 5}) {
		t.Errorf("values not restored: %v", v)
	}
}

func TestAvoidingKeepsAwayFromKinks(t *testing.T) {
	x := Avoiding(1, -1, 1, []float64{-0.5, 0.25}, 0.1, 1000)
	for i, v := range x.Data {
		if v < -1 || v >= 1 || math.Abs(float64(v)+0.5) < 0.1 || math.Abs(float64(v)-0.25) < 0.1 {
			t.Fatalf("element %d = %g", i, v)
		}
	}
}

func TestSampleIndices(t *testing.T) {
	if got := SampleIndices(4, 0); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("all of 4: %v", got)
	}
	if got := SampleIndices(4, 9); len(got) != 4 {
		t.Errorf("k beyond n: %v", got)
	}
	a, b := SampleIndices(100, 10), SampleIndices(100, 10)
	if !slices.Equal(a, b) || len(a) != 10 {
		t.Errorf("sample not fixed: %v, %v", a, b)
	}
	seen := map[int]bool{}
	for _, i := range a {
		if i < 0 || i >= 100 || seen[i] {
			t.Errorf("bad or repeated index %d in %v", i, a)
		}
		seen[i] = true
	}
}
