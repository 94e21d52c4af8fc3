//go:build amd64 && !purego

package compute

//go:generate go run gemm_asmgen.go

// gemmKernel14x32AVX512 computes a 14×32 tile; see gemmKernel.fn.
//
//go:noescape
func gemmKernel14x32AVX512(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// gemmKernel14x32StreamAVX512 computes a 14×32 tile with alpha = 1 and
// beta = 0 and stores it with non-temporal stores; see gemmKernel.stream.
//
//go:noescape
func gemmKernel14x32StreamAVX512(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, pf uintptr)

// gemmStoreFence orders the non-temporal stores made so far before any
// later store (SFENCE).
func gemmStoreFence()

// gemmKernel14x32EdgeAVX512 computes a 14×32 tile but stores only its
// first rows rows and, in each, the columns whose bit is set in mask.
//
//go:noescape
func gemmKernel14x32EdgeAVX512(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, rows int, mask uint32)

// gemmKernel6x16EdgeAVX2 computes a 6×16 tile but stores only its first
// rows rows and, in each, the columns whose bit is set in mask.
//
//go:noescape
func gemmKernel6x16EdgeAVX2(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, rows int, mask uint32)

// gemmKernel6x16AVX2 computes a 6×16 tile; see gemmKernel.fn.
//
//go:noescape
func gemmKernel6x16AVX2(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// asmGemmKernels returns the assembly kernels this CPU can run, best first.
func asmGemmKernels() []*gemmKernel {
	var ks []*gemmKernel
	if DetectedCPU.AVX512F {
		ks = append(ks, &gemmKernel{name: "avx512-14x32", mr: 14, nr: 32, mc: 14 * 40, kc: 512, nc: 2048,
			fn: gemmKernel14x32AVX512, edge: gemmKernel14x32EdgeAVX512, stream: gemmKernel14x32StreamAVX512})
	}
	if DetectedCPU.AVX2 {
		ks = append(ks, &gemmKernel{name: "avx2-6x16", mr: 6, nr: 16, mc: 6 * 64, kc: 512, nc: 2048,
			fn: gemmKernel6x16AVX2, edge: gemmKernel6x16EdgeAVX2})
	}
	return ks
}

// gemmPackRows14 sets dst[p*ldd+i] = a[i*lda+p] for i < 14, p < kc.
//
//go:noescape
func gemmPackRows14(kc int, a *float32, lda int, dst *float32, ldd int)

// gemmPackRows6 sets dst[p*ldd+i] = a[i*lda+p] for i < 6, p < kc.
//
//go:noescape
func gemmPackRows6(kc int, a *float32, lda int, dst *float32, ldd int)

// gemmPackRows4 sets dst[p*ldd+i] = a[i*lda+p] for i < 4, p < kc.
//
//go:noescape
func gemmPackRows4(kc int, a *float32, lda int, dst *float32, ldd int)

// gemmPackRows2 sets dst[p*ldd+i] = a[i*lda+p] for i < 2, p < kc.
//
//go:noescape
func gemmPackRows2(kc int, a *float32, lda int, dst *float32, ldd int)

// rowPackers are the assembly transposing packers, largest first.
var rowPackers = []rowPacker{{14, gemmPackRows14}, {6, gemmPackRows6}, {4, gemmPackRows4}, {2, gemmPackRows2}}
