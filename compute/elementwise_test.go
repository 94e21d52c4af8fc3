package compute

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestElementwise checks every element-wise kernel against a plain loop, on
// a size small enough to run serially and one large enough to split.
func TestElementwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{7, 3*elementwiseGrain + 5} {
		a, b := randomSlice(rng, n), randomSlice(rng, n)
		want := make([]float32, n)
		for _, op := range []struct {
			name string
			run  func(dst []float32)
			elem func(i int) float32
		}{
			{"Add", func(d []float32) { Add(d, a, b) }, func(i int) float32 { return a[i] + b[i] }},
			{"Sub", func(d []float32) { Sub(d, a, b) }, func(i int) float32 { return a[i] - b[i] }},
			{"Mul", func(d []float32) { Mul(d, a, b) }, func(i int) float32 { return a[i] * b[i] }},
			{"Scale", func(d []float32) { Scale(d, 2.5, a) }, func(i int) float32 { return 2.5 * a[i] }},
			{"Axpy", func(d []float32) { copy(d, b); Axpy(-1.5, a, d) }, func(i int) float32 { return b[i] - 1.5*a[i] }},
		} {
			for i := range want {
				want[i] = op.elem(i)
			}
			got := filled(n, float32(math.NaN()))
			op.run(got)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s n=%d: [%d] = %v, want %v", op.name, n, i, got[i], want[i])
				}
			}
		}
	}
}

func TestAddInPlace(t *testing.T) {
	a, b := []float32{1, 2, 3}, []float32{10, 20, 30}
	Add(a, a, b)
	if a[0] != 11 || a[1] != 22 || a[2] != 33 {
		t.Errorf("Add in place: %v", a)
	}
}

func TestAddBias(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	for _, c := range []int{1, 3, 64} {
		rows := 2*elementwiseGrain/c + 3
		x, bias := randomSlice(rng, rows*c), randomSlice(rng, c)
		got := append([]float32(nil), x...)
		AddBias(got, bias)
		for i := range got {
			if want := x[i] + bias[i%c]; got[i] != want {
				t.Fatalf("c=%d: [%d] = %v, want %v", c, i, got[i], want)
			}
		}
	}
}
