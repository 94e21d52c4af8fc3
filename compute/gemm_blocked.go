package compute

import "unsafe"

// gemmBuffers are one worker's packing buffers, 64-byte aligned.
type gemmBuffers struct {
	a, b, tile []float32
}

// alignedFloats returns a zeroed slice of n float32s whose first element
// sits on a 64-byte boundary.
func alignedFloats(n int) []float32 {
	s := make([]float32, n+16)
	off := 0
	if r := uintptr(unsafe.Pointer(&s[0])) % 64; r != 0 {
		off = int(64-r) / 4
	}
	return s[off : off+n : off+n]
}

// buffers takes a set of packing buffers sized for kern from its pool.
func (kern *gemmKernel) buffers() *gemmBuffers {
	if v := kern.pool.Get(); v != nil {
		return v.(*gemmBuffers)
	}
	return &gemmBuffers{
		a:    alignedFloats(kern.mc * kern.kc),
		b:    alignedFloats(kern.kc * kern.nc),
		tile: alignedFloats(kern.mr * kern.nr),
	}
}

// gemmBlocked runs C = alpha*op(A)*op(B) + beta*C on one worker with the
// GotoBLAS loop nest: B blocks of kc×nc and A blocks of mc×kc are packed,
// and the micro-kernel sweeps mr×nr tiles. a, b and c start at the
// sub-problem's first element.
func gemmBlocked(kern *gemmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	buf := kern.buffers()
	defer kern.pool.Put(buf)
	mr, nr := kern.mr, kern.nr
	for jc := 0; jc < n; jc += kern.nc {
		nc := min(kern.nc, n-jc)
		for pc := 0; pc < k; pc += kern.kc {
			kc := min(kern.kc, k-pc)
			packB(transB, b, ldb, pc, jc, kc, nc, nr, buf.b)
			bet := beta
			if pc > 0 {
				bet = 1
			}
			for ic := 0; ic < m; ic += kern.mc {
				mc := min(kern.mc, m-ic)
				packA(transA, a, lda, ic, pc, mc, kc, mr, buf.a)
				for jr := 0; jr < nc; jr += nr {
					cols := min(nr, nc-jr)
					bp := &buf.b[jr*kc]
					for ir := 0; ir < mc; ir += mr {
						rows := min(mr, mc-ir)
						ap := &buf.a[ir*kc]
						off := (ic+ir)*ldc + jc + jr
						if rows == mr && cols == nr {
							kern.fn(kc, ap, bp, &c[off], ldc, alpha, bet)
							continue
						}
						kern.fn(kc, ap, bp, &buf.tile[0], nr, 1, 0)
						mergeTile(buf.tile, nr, rows, cols, alpha, bet, c[off:], ldc)
					}
				}
			}
		}
	}
}

// mergeTile writes C = alpha*T + beta*C for the rows×cols corner of a tile
// T with row stride ldt, not reading C when beta == 0.
func mergeTile(t []float32, ldt, rows, cols int, alpha, beta float32, c []float32, ldc int) {
	for i := 0; i < rows; i++ {
		tr := t[i*ldt : i*ldt+cols]
		cr := c[i*ldc : i*ldc+cols]
		if beta == 0 {
			for j, v := range tr {
				cr[j] = alpha * v
			}
			continue
		}
		for j, v := range tr {
			cr[j] = alpha*v + beta*cr[j]
		}
	}
}
