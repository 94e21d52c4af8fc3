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
// times: A is reused once per nr columns of C, B once per mr rows. A
// transposed B cannot be read in place (the kernel loads rows of B). A's
// rows (or, transposed, its k steps) 2 KiB apart or a multiple of that
// would collide in the same L1 sets, so such an A is packed too.
func gemmPackPolicy(kern *gemmKernel, transA, transB bool, m, n, lda int) (packA, packB bool) {
	packA = n > 4*kern.nr || lda%512 == 0
	packB = transB || m > 4*kern.mr
	return packA, packB
}

// gemmOperands is one product's operands and scalars, as Gemm received
// them (offset to a worker's share where the work is split).
type gemmOperands struct {
	transA, transB bool
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	// stream: full tiles computed with beta = 0 go through the kernel's
	// stream variant where C's rows are 64-byte aligned.
	stream bool
}

// gemmBlock names one kc×nc block of op(B): depth pc..pc+kc, columns
// jc..jc+nc, and how C takes it: beta on the first depth block, 1 after.
type gemmBlock struct {
	pc, kc, jc, nc int
	beta           float32
}

// gemmBlocked runs C = alpha*op(A)*op(B) + beta*C on one worker with the
// GotoBLAS loop nest: for each kc×nc block of B and each mc×kc block of A,
// gemmMacro sweeps the block's mr×nr tiles.
func gemmBlocked(kern *gemmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmBlockedOps(kern, &gemmOperands{transA: transA, transB: transB, alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc}, m, n, k)
}

// gemmBlockedStreaming is gemmBlocked for beta = 0 with C written by
// non-temporal stores where the kernel has them (see gemmKernel.stream),
// for a C much larger than the caches that will not be read again soon:
// its lines are then not read from memory before being overwritten. It
// streams only with k ≤ kern.kc (one depth block, so C is written once),
// and then ends with gemmStoreFence. A goroutine that the
// runtime moves to another thread part way through is safe too: the switch
// runs locked instructions, which drain the write-combining buffers as
// SFENCE does. A, B and C are untransposed and alpha is 1.
func gemmBlockedStreaming(kern *gemmKernel, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	op := &gemmOperands{alpha: 1, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc,
		stream: kern.stream != nil && k <= kern.kc && ldc%16 == 0}
	gemmBlockedOps(kern, op, m, n, k)
	if op.stream {
		gemmStoreFence()
	}
}

// gemmStreamPrefetchLines is how many cache lines each call of a stream
// kernel prefetches (streamPrefetchLines in gemm_asmgen.go).
const gemmStreamPrefetchLines = 7

// gemmBlockedOps is gemmBlocked with its operands gathered in op.
func gemmBlockedOps(kern *gemmKernel, op *gemmOperands, m, n, k int) {
	transA, transB, beta := op.transA, op.transB, op.beta
	b, lda, ldb := op.b, op.lda, op.ldb
	buf := kern.buffers(m, n, k)
	defer kern.release(buf)
	packA, packB := gemmPackPolicy(kern, transA, transB, m, n, lda)
	if op.stream {
		// One depth block: each A micro-panel (mr×k) stays in L1 while
		// it meets every B panel, so packing would cost a pass over A
		// for nothing, unless its rows share L1 sets.
		packA = lda%512 == 0
	}
	for jc := 0; jc < n; jc += kern.nc {
		nc := min(kern.nc, n-jc)
		for pc := 0; pc < k; pc += kern.kc {
			blk := gemmBlock{pc: pc, kc: min(kern.kc, k-pc), jc: jc, nc: nc, beta: beta}
			if pc > 0 {
				blk.beta = 1
			}
			var bp []float32
			if packB {
				packBPanels(transB, b, ldb, blk.pc, jc, blk.kc, nc, kern.nr, buf.b)
				bp = buf.b
			} else if last := nc / kern.nr * kern.nr; last < nc {
				packBPanels(false, b, ldb, blk.pc, jc+last, blk.kc, nc-last, kern.nr, buf.bEdge)
			}
			for ic := 0; ic < m; ic += kern.mc {
				gemmMacro(kern, op, blk, ic, min(kern.mc, m-ic), packA, bp, buf)
			}
		}
	}
}

// gemmMacro computes rows ic..ic+mc of C for one block of B. bp is the
// packed block, or nil when the kernel reads B in place (and the block's
// partial last panel, if any, is in buf.bEdge). A is packed into buf.a when
// packA, else read in place with only a partial last panel packed.
// The A micro-panel (mr×kc, in L1) is the outer loop, the B micro-panels
// the inner one.
func gemmMacro(kern *gemmKernel, op *gemmOperands, blk gemmBlock, ic, mc int, packA bool, bp []float32, buf *gemmBuffers) {
	mr, nr, kc := kern.mr, kern.nr, blk.kc
	if packA {
		packAPanels(op.transA, op.a, op.lda, ic, blk.pc, mc, kc, mr, buf.a)
	}
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		var ap *float32
		rsa, csa := 1, mr
		switch {
		case packA:
			ap = &buf.a[ir*kc]
		case rows == mr && op.transA:
			ap, rsa, csa = &op.a[blk.pc*op.lda+ic+ir], 1, op.lda
		case rows == mr:
			ap, rsa, csa = &op.a[(ic+ir)*op.lda+blk.pc], op.lda, 1
		default:
			packAPanels(op.transA, op.a, op.lda, ic+ir, blk.pc, rows, kc, mr, buf.aEdge)
			ap = &buf.aEdge[0]
		}
		for jr := 0; jr < blk.nc; jr += nr {
			cols := min(nr, blk.nc-jr)
			var bpp *float32
			ldbp := nr
			switch {
			case bp != nil:
				bpp = &bp[jr*kc]
			case cols == nr:
				bpp, ldbp = &op.b[blk.pc*op.ldb+blk.jc+jr], op.ldb
			default:
				bpp = &buf.bEdge[0]
			}
			off := (ic+ir)*op.ldc + blk.jc + jr
			if rows == mr && cols == nr {
				if op.stream && blk.beta == 0 && uintptr(unsafe.Pointer(&op.c[off]))%64 == 0 {
					// The calls for this A panel prefetch the next one
					// (read in place, rows lda apart) between them.
					pf := uintptr(unsafe.Pointer(ap)) + uintptr(4*mr*rsa) +
						uintptr(jr/nr*gemmStreamPrefetchLines*64)
					kern.stream(kc, ap, rsa, csa, bpp, ldbp, &op.c[off], op.ldc, op.alpha, 0, pf)
					continue
				}
				kern.fn(kc, ap, rsa, csa, bpp, ldbp, &op.c[off], op.ldc, op.alpha, blk.beta)
				continue
			}
			if kern.edge != nil {
				kern.edge(kc, ap, rsa, csa, bpp, ldbp, &op.c[off], op.ldc, op.alpha, blk.beta, rows, uint32(1)<<cols-1)
				continue
			}
			kern.fn(kc, ap, rsa, csa, bpp, ldbp, &buf.tile[0], nr, 1, 0)
			mergeTile(buf.tile, nr, rows, cols, op.alpha, blk.beta, op.c[off:], op.ldc)
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
