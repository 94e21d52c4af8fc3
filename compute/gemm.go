package compute

// Gemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where
// op(A) is m×k (A is stored k×m when transA), op(B) is k×n (stored n×k when
// transB), and lda, ldb, ldc are the row strides. beta == 0 ignores C's old
// contents, NaN included.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	GemmReference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
