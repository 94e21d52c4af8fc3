package nn

import (
	"slices"
	"sync"

	"github.com/graft-ml/graft/compute"
)

// BatchNorm's per-channel reductions over rows of c channels. Each makes a
// single pass over its inputs: rows are summed in float32 in blocks of
// statBlockRows, and the block sums folded into float64, so that the error
// does not grow with the batch; workers' partial sums are added in row
// order, so results do not depend on scheduling.

// statBlockRows is how many rows are summed in float32 before the block's
// sums are folded into float64.
const statBlockRows = 64

// rowGrain picks how many rows of width c a parallel chunk holds at least.
func rowGrain(c int) int { return max(1, 16384/max(c, 1)) }

// channelMeanVar returns the per-channel mean and biased variance of data
// laid out as rows of c channels, in one pass. Values are shifted by the
// first row before squaring, which keeps the variance accurate when the
// mean is large against the spread.
func channelMeanVar(data []float32, c int) (mean, variance []float64) {
	rows := len(data) / c
	pivot := data[:c]
	s, q := channelSums2(rows, c, func(r0, r1 int, s, q []float32) {
		p := pivot[:c]
		for r := r0; r < r1; r++ {
			row := data[r*c : (r+1)*c]
			s, q := s[:len(row)], q[:len(row)]
			for j, v := range row {
				d := v - p[j]
				s[j] += d
				q[j] += d * d
			}
		}
	})
	n := float64(rows)
	for j := range s {
		m := s[j] / n
		v := q[j]/n - m*m
		s[j] = float64(pivot[j]) + m
		q[j] = max(v, 0)
	}
	return s, q
}

// channelGradSums returns Σ dy and Σ dy·xhat per channel, with
// xhat = (x - mean)·invStd, in one pass over x and dy.
func channelGradSums(x, dy []float32, mean, invStd []float32) (sumDy, sumDyXhat []float64) {
	c := len(mean)
	rows := len(x) / c
	sumDy, sumDyXhat = channelSums2(rows, c, func(r0, r1 int, s, q []float32) {
		m := mean[:c]
		for r := r0; r < r1; r++ {
			xr, dr := x[r*c:(r+1)*c], dy[r*c:(r+1)*c]
			s, q, dr := s[:len(xr)], q[:len(xr)], dr[:len(xr)]
			for j, v := range xr {
				d := dr[j]
				s[j] += d
				q[j] += d * (v - m[j])
			}
		}
	})
	for j := range sumDyXhat {
		sumDyXhat[j] *= float64(invStd[j])
	}
	return sumDy, sumDyXhat
}

// statScratch holds one worker's float32 block sums and float64 totals.
type statScratch struct {
	s, q   []float32
	ts, tq []float64
}

var statScratchPool sync.Pool

func getStatScratch(c int) *statScratch {
	if v, ok := statScratchPool.Get().(*statScratch); ok && cap(v.s) >= c {
		v.s, v.q, v.ts, v.tq = v.s[:c], v.q[:c], v.ts[:c], v.tq[:c]
		clear(v.ts)
		clear(v.tq)
		return v
	}
	return &statScratch{s: make([]float32, c), q: make([]float32, c), ts: make([]float64, c), tq: make([]float64, c)}
}

// channelSums2 runs block(r0, r1, s, q) over blocks of at most
// statBlockRows rows, with s and q zeroed float32 accumulators of c
// channels, and returns the float64 totals of s and q over all blocks.
func channelSums2(rows, c int, block func(r0, r1 int, s, q []float32)) (s, q []float64) {
	type part struct {
		start int
		sc    *statScratch
	}
	var (
		mu    sync.Mutex
		parts []part
	)
	grain := max(statBlockRows, (rowGrain(c)+statBlockRows-1)/statBlockRows*statBlockRows)
	compute.ParallelFor(rows, grain, func(r0, r1 int) {
		sc := getStatScratch(c)
		for b := r0; b < r1; b += statBlockRows {
			clear(sc.s)
			clear(sc.q)
			block(b, min(b+statBlockRows, r1), sc.s, sc.q)
			for j := range sc.ts {
				sc.ts[j] += float64(sc.s[j])
				sc.tq[j] += float64(sc.q[j])
			}
		}
		mu.Lock()
		parts = append(parts, part{r0, sc})
		mu.Unlock()
	})
	slices.SortFunc(parts, func(a, b part) int { return a.start - b.start })
	s, q = make([]float64, c), make([]float64, c)
	for _, p := range parts {
		for j := range s {
			s[j] += p.sc.ts[j]
			q[j] += p.sc.tq[j]
		}
		statScratchPool.Put(p.sc)
	}
	return s, q
}
