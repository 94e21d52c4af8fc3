//go:build amd64 && !purego

package compute

//go:generate go run conv_asmgen.go

// convKernel14x32PairAVX512 is gemmKernel14x32AVX512 with rows 7-13 of
// the A panel at a2 + (i-7)*rsa instead of a + i*rsa.
//
//go:noescape
func convKernel14x32PairAVX512(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, a2 *float32)

// convFilterSegs14x32AVX512 sums a 14×32 tile of a kernel gradient over
// segments of pixels; see filterSegKernel.fn.
//
//go:noescape
func convFilterSegs14x32AVX512(segs *int, nseg, seglen int, a *float32, csa int, b *float32, ldb int, c *float32, ldc int, rowMask, colMask uint32)

// filterSegKernelFor returns the assembly segment kernel that goes with
// kern, or nil when there is none.
func filterSegKernelFor(kern *gemmKernel) *filterSegKernel {
	if kern.name == "avx512-14x32" {
		return &filterSegsAVX512
	}
	return nil
}

// filterSegsAVX512 is the AVX-512 segment kernel.
var filterSegsAVX512 = filterSegKernel{mr: 14, nr: 32, fn: convFilterSegs14x32AVX512}

// pairKernelFor returns the two-base variant of kern's micro-kernel (rows
// 0 to mr/2-1 of the A panel at one base, the rest at another), or nil
// when it has none.
func pairKernelFor(kern *gemmKernel) pairKernel {
	if kern.name == "avx512-14x32" {
		return convKernel14x32PairAVX512
	}
	return nil
}
