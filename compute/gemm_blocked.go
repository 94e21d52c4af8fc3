package compute

import "unsafe"

// gemmBuffers are one worker's packing buffers, 64-byte aligned: a and b
// hold packed blocks, aEdge and bEdge the one partial panel of an operand
// that is otherwise read in place, tile a partial tile of C.
type gemmBuffers struct {
	a, b, aEdge, bEdge, tile []float32
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

// buffers returns packing buffers for a product of at most m rows, n
// columns and depth k, reusing a set from kern's free list when there is
// one. Buffers are sized to the problem (capped by the blocking), so a
// small product does not pay to zero megabytes it never touches.
func (kern *gemmKernel) buffers(m, n, k int) *gemmBuffers {
	needA := min(kern.mc, roundUp(m, kern.mr)) * min(kern.kc, k)
	needB := min(kern.kc, k) * min(kern.nc, roundUp(n, kern.nr))
	var buf *gemmBuffers
	select {
	case buf = <-kern.free:
	default:
		buf = &gemmBuffers{
			aEdge: alignedFloats(kern.mr * kern.kc),
			bEdge: alignedFloats(kern.kc * kern.nr),
			tile:  alignedFloats(kern.mr * kern.nr),
		}
	}
	if len(buf.a) < needA {
		buf.a = alignedFloats(needA)
	}
	if len(buf.b) < needB {
		buf.b = alignedFloats(needB)
	}
	return buf
}

// release returns buf to kern's free list, or drops it when the list is
// full.
func (kern *gemmKernel) release(buf *gemmBuffers) {
	select {
	case kern.free <- buf:
	default:
	}
}

// gemmPackPolicy says whether gemmBlocked should pack A and B for an m×n×k
// product or let the micro-kernel read them in place. Packing costs one pass
// over the operand and pays off only when the packed block is reused many
// times: A is reused once per nr columns of C, B once per mr rows.
// A transposed B cannot be read in place (the kernel loads rows of B), nor
// is a transposed A worth it (each k step would touch a new cache line);
// rows of A whose stride is a multiple of 2 KiB would collide in the same
// L1 sets, so those are packed too.
func gemmPackPolicy(kern *gemmKernel, transA, transB bool, m, n, lda int) (packA, packB bool) {
	packA = transA || n > 4*kern.nr || lda%512 == 0
	packB = transB || m > 4*kern.mr
	return packA, packB
}

// gemmBlocked runs C = alpha*op(A)*op(B) + beta*C on one worker with the
// GotoBLAS loop nest: for each kc×nc block of B (packed to sit in L2) and
// each mc×kc block of A, the micro-kernel sweeps mr×nr tiles with the A
// micro-panel (mr×kc, in L1) in the outer loop and the B micro-panels in the
// inner one. a, b and c start at the sub-problem's first element.
func gemmBlocked(kern *gemmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	buf := kern.buffers(m, n, k)
	defer kern.release(buf)
	mr, nr := kern.mr, kern.nr
	packA, packB := gemmPackPolicy(kern, transA, transB, m, n, lda)
	for jc := 0; jc < n; jc += kern.nc {
		nc := min(kern.nc, n-jc)
		for pc := 0; pc < k; pc += kern.kc {
			kc := min(kern.kc, k-pc)
			if packB {
				packBPanels(transB, b, ldb, pc, jc, kc, nc, nr, buf.b)
			} else if last := nc / nr * nr; last < nc {
				packBPanels(false, b, ldb, pc, jc+last, kc, nc-last, nr, buf.bEdge)
			}
			bet := beta
			if pc > 0 {
				bet = 1
			}
			for ic := 0; ic < m; ic += kern.mc {
				mc := min(kern.mc, m-ic)
				if packA {
					packAPanels(transA, a, lda, ic, pc, mc, kc, mr, buf.a, kern.packRows)
				}
				for ir := 0; ir < mc; ir += mr {
					rows := min(mr, mc-ir)
					var ap *float32
					rsa, csa := 1, mr
					switch {
					case packA:
						ap = &buf.a[ir*kc]
					case rows == mr:
						ap, rsa, csa = &a[(ic+ir)*lda+pc], lda, 1
					default:
						packAPanels(false, a, lda, ic+ir, pc, rows, kc, mr, buf.aEdge, nil)
						ap = &buf.aEdge[0]
					}
					for jr := 0; jr < nc; jr += nr {
						cols := min(nr, nc-jr)
						var bp *float32
						ldbp := nr
						switch {
						case packB:
							bp = &buf.b[jr*kc]
						case cols == nr:
							bp, ldbp = &b[pc*ldb+jc+jr], ldb
						default:
							bp = &buf.bEdge[0]
						}
						off := (ic+ir)*ldc + jc + jr
						if rows == mr && cols == nr {
							kern.fn(kc, ap, rsa, csa, bp, ldbp, &c[off], ldc, alpha, bet)
							continue
						}
						kern.fn(kc, ap, rsa, csa, bp, ldbp, &buf.tile[0], nr, 1, 0)
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
