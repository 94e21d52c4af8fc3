package compute

// smallGemmVolume is the largest m*n*k that gemmSmall handles: below it,
// packing and goroutine start-up cost more than they save.
const smallGemmVolume = 16 * 16 * 16

// gemmSmall computes C = alpha*op(A)*op(B) + beta*C with plain loops and no
// packing, for tiny products.
func gemmSmall(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	scaleRows(m, n, beta, c, ldc)
	for i := 0; i < m; i++ {
		crow := c[i*ldc : i*ldc+n]
		for p := 0; p < k; p++ {
			var av float32
			if transA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			av *= alpha
			if transB {
				for j := range crow {
					crow[j] += av * b[j*ldb+p]
				}
				continue
			}
			brow := b[p*ldb : p*ldb+n]
			brow = brow[:len(crow)] // lets the compiler drop the bounds checks
			for j := range crow {
				crow[j] += av * brow[j]
			}
		}
	}
}
