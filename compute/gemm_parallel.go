package compute

// gemmWorkVolume is the m*n*k a worker should have at least before Gemm
// splits a product further: smaller shares cost more in start-up than the
// parallelism saves.
const gemmWorkVolume = 1 << 18

// gemmParallel splits the product across up to Threads() workers along M
// or N, whichever holds more micro-tiles, each running gemmBlocked on its
// own rows or columns of C with its own packing buffers. Splitting the
// longer side keeps each worker's share of the other operand, which every
// worker packs for itself, small.
func gemmParallel(kern *gemmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	workers := min(Threads(), max(1, m*n*k/gemmWorkVolume))
	if workers <= 1 {
		gemmBlocked(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if m/kern.mr >= n/kern.nr {
		grain := roundUp((m+workers-1)/workers, kern.mr)
		ParallelFor(m, grain, func(r0, r1 int) {
			var as []float32
			if transA {
				as = a[r0:]
			} else {
				as = a[r0*lda:]
			}
			gemmBlocked(kern, transA, transB, r1-r0, n, k, alpha, as, lda, b, ldb, beta, c[r0*ldc:], ldc)
		})
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

// roundUp returns x rounded up to a multiple of q.
func roundUp(x, q int) int { return (x + q - 1) / q * q }
