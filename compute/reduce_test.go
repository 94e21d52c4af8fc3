package compute

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestChannelSumAndMeanVar(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, shape := range []struct{ rows, c int }{{1, 1}, {5, 3}, {1000, 7}, {3 * 17 * 17, 64}} {
		rows, c := shape.rows, shape.c
		x := randomSlice(rng, rows*c)
		for i := range x {
			x[i] = 100 + 3*x[i] // an offset that would spoil a one-pass variance
		}
		sum, sq := make([]float64, c), make([]float64, c)
		for r := 0; r < rows; r++ {
			for ch := 0; ch < c; ch++ {
				sum[ch] += float64(x[r*c+ch])
			}
		}
		for r := 0; r < rows; r++ {
			for ch := 0; ch < c; ch++ {
				d := float64(x[r*c+ch]) - sum[ch]/float64(rows)
				sq[ch] += d * d
			}
		}
		got := filled(c, float32(math.NaN()))
		ChannelSum(got, x)
		added := filled(c, 1)
		ChannelSumAdd(added, x)
		mean, variance := make([]float32, c), make([]float32, c)
		ChannelMeanVar(mean, variance, x)
		for ch := 0; ch < c; ch++ {
			if d := math.Abs(float64(got[ch]) - sum[ch]); d > 1e-6*math.Abs(sum[ch]) {
				t.Errorf("rows=%d c=%d: sum[%d] = %v, want %v", rows, c, ch, got[ch], sum[ch])
			}
			if d := math.Abs(float64(added[ch]) - sum[ch] - 1); d > 1e-6*math.Abs(sum[ch]) {
				t.Errorf("rows=%d c=%d: sum+1[%d] = %v, want %v", rows, c, ch, added[ch], sum[ch]+1)
			}
			m, v := sum[ch]/float64(rows), sq[ch]/float64(rows)
			if d := math.Abs(float64(mean[ch]) - m); d > 1e-6*m {
				t.Errorf("rows=%d c=%d: mean[%d] = %v, want %v", rows, c, ch, mean[ch], m)
			}
			if d := math.Abs(float64(variance[ch]) - v); d > 1e-4*v+1e-6 {
				t.Errorf("rows=%d c=%d: variance[%d] = %v, want %v", rows, c, ch, variance[ch], v)
			}
		}
	}
}
