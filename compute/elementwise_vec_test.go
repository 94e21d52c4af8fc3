package compute

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVectorLoops checks the vector loops (assembly where the CPU has it)
// against the Go loops at every length around the unrolling boundaries,
// and that they leave the values past dst's end alone.
func TestVectorLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 75; n++ {
		a, b, d := randomSlice(rng, n+1), randomSlice(rng, n+1), randomSlice(rng, n+1)
		want, got := append([]float32(nil), d...), append([]float32(nil), d...)
		mulAddGo(want[:n], a, b)
		mulAdd(got[:n], a, b)
		for i := range got {
			if math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Fatalf("mulAdd n=%d: [%d] = %v, want %v", n, i, got[i], want[i])
			}
		}
		want, got = append(want[:0], d...), append(got[:0], d...)
		addToGo(want[:n], a)
		addTo(got[:n], a)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("addTo n=%d: [%d] = %v, want %v", n, i, got[i], want[i])
			}
		}
	}
}
