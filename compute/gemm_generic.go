package compute

import "unsafe"

// genericGemmKernel is the portable pure-Go micro-kernel: a 4×4 tile, whose
// 16 accumulators stay in registers on amd64 and arm64. It is what runs on
// CPUs without AVX2 and what the assembly kernels are tested against.
var genericGemmKernel = &gemmKernel{name: "generic-4x4", mr: 4, nr: 4, mc: 4 * 64, kc: 256, nc: 1024,
	fn: gemmKernel4x4Go}

// gemmKernel4x4Go computes C = alpha*A·B + beta*C for one 4×4 tile (see
// gemmKernel.fn for the operand layout).
func gemmKernel4x4Go(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32) {
	if k <= 0 {
		k, ldb, csa = 0, 0, 0
	}
	ap := unsafe.Slice(a, 3*rsa+max(k-1, 0)*csa+1)
	bp := unsafe.Slice(b, max(k-1, 0)*ldb+4)
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := 0; p < k; p++ {
		bv := bp[p*ldb : p*ldb+4 : p*ldb+4]
		av := ap[p*csa : p*csa+3*rsa+1]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		x := av[0]
		c00 += x * b0
		c01 += x * b1
		c02 += x * b2
		c03 += x * b3
		x = av[rsa]
		c10 += x * b0
		c11 += x * b1
		c12 += x * b2
		c13 += x * b3
		x = av[2*rsa]
		c20 += x * b0
		c21 += x * b1
		c22 += x * b2
		c23 += x * b3
		x = av[3*rsa]
		c30 += x * b0
		c31 += x * b1
		c32 += x * b2
		c33 += x * b3
	}
	acc := [4][4]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	cs := unsafe.Slice(c, 3*ldc+4)
	for i := range 4 {
		row := cs[i*ldc : i*ldc+4 : i*ldc+4]
		if beta == 0 {
			for j := range 4 {
				row[j] = alpha * acc[i][j]
			}
		} else {
			for j := range 4 {
				row[j] = alpha*acc[i][j] + beta*row[j]
			}
		}
	}
}
