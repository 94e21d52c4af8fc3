package compute

import "fmt"

// Gemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where
// op(A) is m×k (A is stored k×m when transA), op(B) is k×n (stored n×k when
// transB), and lda, ldb, ldc are the row strides. beta == 0 ignores C's old
// contents, NaN included.
//
// Large products run the packed, cache-blocked micro-kernel named by
// GemmKernelName, split across Threads() workers; tiny ones run a direct
// loop. Gemm panics, naming the operand, if a slice is too short for its
// shape and stride, since the assembly kernels must never read out of
// bounds.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	checkGemmOperand("C", false, m, n, c, ldc)
	if k <= 0 || alpha == 0 {
		scaleRows(m, n, beta, c, ldc)
		return
	}
	checkGemmOperand("A", transA, m, k, a, lda)
	checkGemmOperand("B", transB, k, n, b, ldb)
	if m*n*k <= smallGemmVolume {
		gemmSmall(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	gemmParallel(activeGemm.Load(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkGemmOperand panics unless s can hold a rows×cols matrix (stored
// transposed when trans) with row stride ld.
func checkGemmOperand(name string, trans bool, rows, cols int, s []float32, ld int) {
	if trans {
		rows, cols = cols, rows
	}
	if ld < cols || (rows-1)*ld+cols > len(s) {
		panic(fmt.Sprintf("compute.Gemm: %s is %d×%d with stride %d, needs %d elements and stride ≥ %d, has %d elements",
			name, rows, cols, ld, (rows-1)*ld+cols, cols, len(s)))
	}
}

// scaleRows sets C = beta*C for an m×n matrix, writing zeros when beta == 0.
func scaleRows(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}
