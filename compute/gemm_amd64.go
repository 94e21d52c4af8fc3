//go:build amd64 && !purego

package compute

//go:generate go run gemm_asmgen.go

// gemmKernel14x32AVX512 computes a 14×32 tile; see gemmKernel.fn.
//
//go:noescape
func gemmKernel14x32AVX512(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// gemmKernel14x32EdgeAVX512 computes a 14×32 tile but stores only its
// first rows rows and, in each, the columns whose bit is set in mask.
//
//go:noescape
func gemmKernel14x32EdgeAVX512(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, rows int, mask uint32)

// gemmKernel6x16AVX2 computes a 6×16 tile; see gemmKernel.fn.
//
//go:noescape
func gemmKernel6x16AVX2(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// asmGemmKernels returns the assembly kernels this CPU can run, best first.
func asmGemmKernels() []*gemmKernel {
	var ks []*gemmKernel
	if DetectedCPU.AVX512F {
		ks = append(ks, &gemmKernel{name: "avx512-14x32", mr: 14, nr: 32, mc: 14 * 40, kc: 512, nc: 2048,
			fn: gemmKernel14x32AVX512, edge: gemmKernel14x32EdgeAVX512, packRows: gemmPackA14})
	}
	if DetectedCPU.AVX2 {
		ks = append(ks, &gemmKernel{name: "avx2-6x16", mr: 6, nr: 16, mc: 6 * 64, kc: 512, nc: 2048,
			fn: gemmKernel6x16AVX2, packRows: gemmPackA6})
	}
	return ks
}

// gemmPackA14 packs 14 rows of a row-major A: dst[p*14+i] = a[i*lda+p].
//
//go:noescape
func gemmPackA14(kc int, a *float32, lda int, dst *float32)

// gemmPackA6 packs 6 rows of a row-major A: dst[p*6+i] = a[i*lda+p].
//
//go:noescape
func gemmPackA6(kc int, a *float32, lda int, dst *float32)
