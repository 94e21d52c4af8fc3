package compute

import "unsafe"

// genericGemmKernel is the portable pure-Go micro-kernel: a 4×8 tile. It is
// what runs on CPUs without AVX2 and what the assembly kernels are tested
// against.
var genericGemmKernel = &gemmKernel{name: "generic-4x8", mr: 4, nr: 8, mc: 4 * 64, kc: 256, nc: 1024,
	fn: gemmKernel4x8Go}

// gemmKernel4x8Go computes C = alpha*A·B + beta*C for one 4×8 tile (see
// gemmKernel.fn for the operand layout).
func gemmKernel4x8Go(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32) {
	if k <= 0 {
		k = 0
		ldb, csa = 0, 0
	}
	ap := unsafe.Slice(a, 3*rsa+max(k-1, 0)*csa+1)
	bp := unsafe.Slice(b, max(k-1, 0)*ldb+8)
	var c00, c01, c02, c03, c04, c05, c06, c07 float32
	var c10, c11, c12, c13, c14, c15, c16, c17 float32
	var c20, c21, c22, c23, c24, c25, c26, c27 float32
	var c30, c31, c32, c33, c34, c35, c36, c37 float32
	for p := 0; p < k; p++ {
		bv := bp[p*ldb : p*ldb+8 : p*ldb+8]
		b0, b1, b2, b3, b4, b5, b6, b7 := bv[0], bv[1], bv[2], bv[3], bv[4], bv[5], bv[6], bv[7]
		o := p * csa
		x := ap[o]
		c00, c01, c02, c03, c04, c05, c06, c07 = c00+x*b0, c01+x*b1, c02+x*b2, c03+x*b3, c04+x*b4, c05+x*b5, c06+x*b6, c07+x*b7
		x = ap[o+rsa]
		c10, c11, c12, c13, c14, c15, c16, c17 = c10+x*b0, c11+x*b1, c12+x*b2, c13+x*b3, c14+x*b4, c15+x*b5, c16+x*b6, c17+x*b7
		x = ap[o+2*rsa]
		c20, c21, c22, c23, c24, c25, c26, c27 = c20+x*b0, c21+x*b1, c22+x*b2, c23+x*b3, c24+x*b4, c25+x*b5, c26+x*b6, c27+x*b7
		x = ap[o+3*rsa]
		c30, c31, c32, c33, c34, c35, c36, c37 = c30+x*b0, c31+x*b1, c32+x*b2, c33+x*b3, c34+x*b4, c35+x*b5, c36+x*b6, c37+x*b7
	}
	acc := [4][8]float32{
		{c00, c01, c02, c03, c04, c05, c06, c07},
		{c10, c11, c12, c13, c14, c15, c16, c17},
		{c20, c21, c22, c23, c24, c25, c26, c27},
		{c30, c31, c32, c33, c34, c35, c36, c37},
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
