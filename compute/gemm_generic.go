package compute

import "unsafe"

// genericGemmKernel is the portable pure-Go micro-kernel: a 4×8 tile. It is
// what runs on CPUs without AVX2 and what the assembly kernels are tested
// against.
var genericGemmKernel = &gemmKernel{name: "generic-4x8", mr: 4, nr: 8, mc: 4 * 32, kc: 256, nc: 1024,
	fn: gemmKernel4x8Go}

// gemmKernel4x8Go computes C = alpha*A·B + beta*C for one 4×8 tile from
// packed panels (see gemmKernel.fn).
func gemmKernel4x8Go(k int, a, b, c *float32, ldc int, alpha, beta float32) {
	ap := unsafe.Slice(a, 4*k)
	bp := unsafe.Slice(b, 8*k)
	var acc [4][8]float32
	for p := 0; p < k; p++ {
		bv := bp[p*8 : p*8+8 : p*8+8]
		av := ap[p*4 : p*4+4 : p*4+4]
		for i := range 4 {
			x := av[i]
			r := &acc[i]
			r[0] += x * bv[0]
			r[1] += x * bv[1]
			r[2] += x * bv[2]
			r[3] += x * bv[3]
			r[4] += x * bv[4]
			r[5] += x * bv[5]
			r[6] += x * bv[6]
			r[7] += x * bv[7]
		}
	}
	cs := unsafe.Slice(c, 3*ldc+8)
	for i := range 4 {
		row := cs[i*ldc : i*ldc+8 : i*ldc+8]
		if beta == 0 {
			for j := range 8 {
				row[j] = alpha * acc[i][j]
			}
		} else {
			for j := range 8 {
				row[j] = alpha*acc[i][j] + beta*row[j]
			}
		}
	}
}
