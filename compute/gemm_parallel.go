package compute

import (
	"sync"
	"sync/atomic"
)

// gemmWorkVolume is the m*n*k a worker should have at least before Gemm
// splits a product further: smaller shares cost more in start-up than the
// parallelism saves.
const gemmWorkVolume = 1 << 18

// gemmParallel splits the product across up to Threads() workers. When C
// has more micro-tiles down than across, workers share each packed block of
// B and take chunks of rows as they finish (gemmShared), so a worker the
// OS delays does not hold the others up. Otherwise each worker computes its
// own columns of C with gemmBlocked.
func gemmParallel(kern *gemmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	workers := min(Threads(), max(1, m*n*k/gemmWorkVolume))
	if workers <= 1 {
		gemmBlocked(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if m/kern.mr >= n/kern.nr {
		gemmShared(kern, workers, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	grain := roundUp((n+workers-1)/workers, kern.nr)
	ParallelFor(n, grain, func(c0, c1 int) {
		var bs []float32
		if transB {
			bs = b[c0*ldb:]
		} else {
			bs = b[c0:]
		}
		gemmBlocked(kern, transA, transB, m, c1-c0, k, alpha, a, lda, bs, ldb, beta, c[c0:], ldc)
	})
}

// gemmShared runs the GotoBLAS loop nest with workers sharing every packed
// kc×nc block of B: they pack its panels together, then take chunks of C's
// rows from a shared counter, each packing its own A blocks.
func gemmShared(kern *gemmKernel, workers int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	op := &gemmOperands{transA: transA, transB: transB, alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc}
	packA, _ := gemmPackPolicy(kern, transA, transB, m, n, lda)
	// About four chunks per worker balance the load without costing much
	// in re-reading the B block.
	chunk := max(kern.mr, min(kern.mc, roundUp((m+4*workers-1)/(4*workers), kern.mr)))
	shared := kern.buffers(0, n, k)
	defer kern.release(shared)
	bufs := make([]*gemmBuffers, workers)
	for w := range bufs {
		bufs[w] = kern.buffers(chunk, 0, k)
		defer kern.release(bufs[w])
	}
	nr := kern.nr
	for jc := 0; jc < n; jc += kern.nc {
		nc := min(kern.nc, n-jc)
		panels := (nc + nr - 1) / nr
		for pc := 0; pc < k; pc += kern.kc {
			blk := gemmBlock{pc: pc, kc: min(kern.kc, k-pc), jc: jc, nc: nc, beta: beta}
			if pc > 0 {
				blk.beta = 1
			}
			runWorkers(min(workers, panels), func(w, nw int) {
				p0, p1 := w*panels/nw, (w+1)*panels/nw
				j0, j1 := p0*nr, min(p1*nr, nc)
				if j0 < j1 {
					packBPanels(transB, b, ldb, blk.pc, jc+j0, blk.kc, j1-j0, nr, shared.b[j0*blk.kc:])
				}
			})
			var next atomic.Int64
			runWorkers(workers, func(w, _ int) {
				for {
					ic := int(next.Add(int64(chunk))) - chunk
					if ic >= m {
						return
					}
					gemmMacro(kern, op, blk, ic, min(chunk, m-ic), packA, shared.b, bufs[w])
				}
			})
		}
	}
}

// runWorkers calls fn(w, n) for w in [0, n) on n goroutines (the last on
// the calling one) and waits for all of them.
func runWorkers(n int, fn func(w, n int)) {
	var wg sync.WaitGroup
	for w := 0; w < n-1; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, n)
		}()
	}
	fn(n-1, n)
	wg.Wait()
}

// roundUp returns x rounded up to a multiple of q.
func roundUp(x, q int) int { return (x + q - 1) / q * q }
