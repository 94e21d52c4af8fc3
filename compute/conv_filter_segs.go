package compute

import "unsafe"

// The kernel gradient of deep layers on small maps (ResNet's 512-channel
// 7x7 layers), where convBackwardFilterDirect's private copy of dw per
// share (9 MiB) and short products (55 pixels a band) cost more than they
// save, and im2col copies every patch twice.
//
// For kernel tap (ky, kx) and input channels c0..c0+mr-1,
//
//	dw[ky][kx][c0+i][oc] = Σ_(n,oy,ox) x[n][iy][ix][c0+i] · dy[n][oy][ox][oc]
//
// with iy = oy*StrideH - PadTop + ky*DilationH and ix likewise. Along one
// output row, x's values for consecutive ox lie StrideW*InC floats apart
// and dy's OutC apart, so each output row is a segment that a micro-kernel
// can run through with its tile in registers; a list of segments, one per
// output row of the whole batch, makes the sum over all pixels a single
// call per mr×nr tile of dw. Output rows whose tap row falls in the padding
// are left out of the tap's list, and each segment covers only the output
// pixels whose tap column is inside the image, so no product with padding
// is computed and x is read where it lies, without a padded copy.
//
// The work is split by tiles of dw, each computed whole by one worker and
// added to dw once: no private copies, no reduction, and the result does
// not depend on thread timing.

// filterSegKernel is a micro-kernel for convBackwardFilterSegs. fn adds to
// c an mr×nr tile of Σ_s Σ_(t<seglen) a[aOff_s + t*csa + i] * b[bOff_s +
// t*ldb + j], where (aOff_s, bOff_s) = (segs[2s], segs[2s+1]) for s < nseg,
// for the rows i set in rowMask and the columns j set in colMask (row
// stride ldc). It reads no column of b outside colMask.
type filterSegKernel struct {
	mr, nr int
	fn     func(segs *int, nseg, seglen int, a *float32, csa int, b *float32, ldb int, c *float32, ldc int, rowMask, colMask uint32)
}

// filterSegsGeneric is the pure-Go 14×32 segment kernel, what the tests
// check the path's logic with where there is no assembly.
var filterSegsGeneric = filterSegKernel{mr: 14, nr: 32, fn: filterSegs14x32Go}

// filterSegs14x32Go is filterSegKernel.fn for a 14×32 tile in Go.
func filterSegs14x32Go(segs *int, nseg, seglen int, a *float32, csa int, b *float32, ldb int, c *float32, ldc int, rowMask, colMask uint32) {
	const mr, nr = 14, 32
	var tile [mr * nr]float32
	at := func(base *float32, i int) *float32 { return (*float32)(unsafe.Add(unsafe.Pointer(base), 4*i)) }
	list := unsafe.Slice(segs, 2*nseg)
	for s := 0; s < nseg; s++ {
		for t := 0; t < seglen; t++ {
			ap, bp := list[2*s]+t*csa, list[2*s+1]+t*ldb
			for i := 0; i < mr; i++ {
				av := *at(a, ap+i)
				for j := 0; j < nr; j++ {
					if colMask>>j&1 != 0 {
						tile[i*nr+j] += av * *at(b, bp+j)
					}
				}
			}
		}
	}
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			if rowMask>>i&1 != 0 && colMask>>j&1 != 0 {
				*at(c, i*ldc+j) += tile[i*nr+j]
			}
		}
	}
}

// useFilterSegs reports whether convBackwardFilterSegs should run p with
// sk: stride 1 and one group (the shapes the direct paths otherwise take),
// at least a tile's rows of input channels, and either a kernel too large
// for convBackwardFilterDirect's private copies or at least
// filterSegMinChannels input channels.
func (p ConvParams) useFilterSegs(sk *filterSegKernel) bool {
	return sk != nil && p.Groups == 1 && !p.isPointwise() && p.StrideH == 1 && p.StrideW == 1 &&
		p.InC >= sk.mr && (p.InC >= filterSegMinChannels || p.KH*p.KW*p.InC*p.OutC > directFilterMaxFloats)
}

// filterSegMinChannels is the fewest input channels for which
// convBackwardFilterSegs beats convBackwardFilterDirect whatever the kernel
// size. With fewer, the overlapping last tile of each tap recomputes too
// many rows (9% at 64 and 128 channels) and the direct path wins
// (measured, 3x3 at batch 32: 64 channels at 56x56 47 against 41 CPU ms,
// 128 at 28x28 42 against 38); at 256 the segments win at 14x14 (35.5
// against 40) and are level at 28x28 and 56x56.
const filterSegMinChannels = 256

// filterSegList is the segments of one kernel tap: n (aOff, bOff) pairs,
// offsets into x and dy of the first pixel of each, and their length.
type filterSegList struct {
	segs      []int
	n, length int
}

// filterSegLists returns the segment list of every tap (ky, kx) of p, at
// index ky*KW+kx, for the output rows r0..r1-1 of the batch (row n*OutH+oy):
// for each of them whose tap row is inside the image, the run of output
// pixels whose tap column is inside it. Offsets count xPix floats per input
// pixel from input row x0 of the batch (row n*InH+iy), and dyPix floats
// per output pixel from output row r0.
func filterSegLists(p ConvParams, r0, r1, x0, xPix, dyPix int) []filterSegList {
	oh, ow := p.OutH(), p.OutW()
	rows := r1 - r0
	all := make([]int, 2*p.KH*p.KW*rows)
	lists := make([]filterSegList, p.KH*p.KW)
	for ky := 0; ky < p.KH; ky++ {
		for kx := 0; kx < p.KW; kx++ {
			l := &lists[ky*p.KW+kx]
			t := ky*p.KW + kx
			l.segs = all[2*t*rows : 2*(t+1)*rows]
			ox0, ox1 := p.outputColumnsInside(kx)
			l.length = ox1 - ox0
			if l.length <= 0 {
				continue
			}
			for r := r0; r < r1; r++ {
				n, oy := r/oh, r%oh
				iy := oy*p.StrideH - p.PadTop + ky*p.DilationH
				if iy < 0 || iy >= p.InH {
					continue
				}
				ix := ox0*p.StrideW - p.PadLeft + kx*p.DilationW
				l.segs[2*l.n] = ((n*p.InH+iy-x0)*p.InW + ix) * xPix
				l.segs[2*l.n+1] = ((r-r0)*ow + ox0) * dyPix
				l.n++
			}
		}
	}
	return lists
}

// filterSegInputRows returns the input rows [x0, x1) of the batch (row
// n*InH+iy) that the output rows r0..r1-1 of the batch read, clamped to
// the images: x0 == x1 when they read only padding.
func (p ConvParams) filterSegInputRows(r0, r1 int) (x0, x1 int) {
	oh := p.OutH()
	first, last := (r0/oh)*p.InH, (r1-1)/oh*p.InH // first rows of the first and last images
	iy0 := (r0%oh)*p.StrideH - p.PadTop
	iy1 := ((r1-1)%oh)*p.StrideH - p.PadTop + (p.KH-1)*p.DilationH + 1
	x0 = first + min(max(iy0, 0), p.InH)
	x1 = last + min(max(iy1, 0), p.InH)
	return x0, max(x1, x0)
}

// outputColumnsInside returns the output columns [ox0, ox1) whose kernel
// column kx reads inside the input.
func (p ConvParams) outputColumnsInside(kx int) (ox0, ox1 int) {
	off := kx*p.DilationW - p.PadLeft // input column of output column 0
	if off < 0 {
		ox0 = (-off + p.StrideW - 1) / p.StrideW
	}
	if off < p.InW {
		ox1 = min(p.OutW(), (p.InW-off+p.StrideW-1)/p.StrideW)
	}
	return ox0, max(ox1, ox0)
}

// filterSegPixelFloats is the floats per pixel of convBackwardFilterSegs's
// copy of x: c, or more where c floats are a multiple of 128 bytes, whose
// pixels, read in turn, would fall into few L1 sets (2 KiB apart at 512
// channels) and evict each other.
func filterSegPixelFloats(c int) int {
	if c%32 == 0 {
		return c + 16
	}
	return c
}

// filterSegChunkPixels bounds the output pixels that one pass of
// convBackwardFilterSegs sums (its chunk of dy, 32 columns of it in a
// panel, stays in L2: 256 KiB). A variable so that tests can shrink it.
var filterSegChunkPixels = 2048

// convBackwardFilterSegs adds the kernel gradient of p to dw with the
// segment kernel sk. The batch's output rows are taken in chunks of at
// most filterSegChunkPixels pixels, in order; for each, the input rows the
// chunk reads are copied with filterSegPixelFloats floats per pixel, its
// dy packed into panels of nr columns (one stream of pixels per panel),
// and the workers take one mr×nr tile of dw per task, adding the chunk's
// sum to it: each tile is added to by one task per chunk, chunk after
// chunk, so dw does not depend on thread timing. A tap's InC rows are cut
// into tiles of mr channels, the last one moved back to end at InC
// (overlapping its neighbour, whose rows it leaves out), so that a tile
// never reads past a pixel's channels: p.InC must be at least mr.
func convBackwardFilterSegs(sk *filterSegKernel, p ConvParams, x, dy, dw []float32) {
	mr, nr := sk.mr, sk.nr
	c := p.InC
	cs := filterSegPixelFloats(c)
	oh, ow := p.OutH(), p.OutW()
	rows := p.Batch * oh
	chunks := (rows*ow + filterSegChunkPixels - 1) / filterSegChunkPixels
	chunkRows := (rows + chunks - 1) / chunks
	panels := (p.OutC + nr - 1) / nr
	tilesPerTap := (c + mr - 1) / mr
	perPanel := p.KH * p.KW * tilesPerTap
	for r0 := 0; r0 < rows; r0 += chunkRows {
		r1 := min(r0+chunkRows, rows)
		x0, x1 := p.filterSegInputRows(r0, r1)
		if x0 == x1 {
			continue
		}
		pixels := (x1 - x0) * p.InW
		total := (r1 - r0) * ow
		xbuf := getScratch(pixels * cs)
		dybuf := getScratch(panels * total * nr)
		xs, dyp := *xbuf, *dybuf
		xc, dyc := x[x0*p.InW*c:x1*p.InW*c], dy[r0*ow*p.OutC:r1*ow*p.OutC]
		ParallelFor(pixels, max(elementwiseGrain/cs, 1), func(i0, i1 int) {
			for i := i0; i < i1; i++ {
				copy(xs[i*cs:i*cs+c], xc[i*c:(i+1)*c])
			}
		})
		ParallelFor(panels, 1, func(j0, j1 int) {
			for jp := j0; jp < j1; jp++ {
				packBPanels(false, dyc, p.OutC, 0, jp*nr, total, min(nr, p.OutC-jp*nr), nr, dyp[jp*total*nr:])
			}
		})
		lists := filterSegLists(p, r0, r1, x0, cs, nr)
		// Tasks run panel by panel (its columns of dy stay in L2), and
		// within a panel, the tiles of one kernel column and channel block
		// for every kernel row in turn, which read mostly the same lines
		// of x.
		dynamicWorkers(panels*perPanel, func(_ int, next func() int) {
			for t := next(); t >= 0; t = next() {
				jp, r := t/perPanel, t%perPanel
				kx, ci, ky := r/(tilesPerTap*p.KH), r/p.KH%tilesPerTap, r%p.KH
				l := &lists[ky*p.KW+kx]
				if l.n == 0 || l.length <= 0 {
					continue
				}
				filterSegTile(sk, p, l, ky, kx, ci, jp, xs[:pixels*cs], cs, dyp[jp*total*nr:], dw)
			}
		})
		putScratch(xbuf)
		putScratch(dybuf)
	}
}

// filterSegTile adds to dw the tile of tap (ky, kx), channel block ci and
// panel jp summed over l's segments of xs (cs floats a pixel) and the
// panel of packed dy, dyp.
func filterSegTile(sk *filterSegKernel, p ConvParams, l *filterSegList, ky, kx, ci, jp int, xs []float32, cs int, dyp, dw []float32) {
	mr, nr, c := sk.mr, sk.nr, p.InC
	full := uint32(1)<<mr - 1
	c0, rowMask := ci*mr, full
	if c0+mr > c {
		c0 = c - mr
		rowMask = full &^ (uint32(1)<<(ci*mr-c0) - 1)
	}
	j0 := jp * nr
	colMask := uint32(uint64(1)<<min(nr, p.OutC-j0) - 1)
	sk.fn(&l.segs[0], l.n, l.length, &xs[c0], p.StrideW*cs, &dyp[0], nr,
		&dw[((ky*p.KW+kx)*c+c0)*p.OutC+j0], p.OutC, rowMask, colMask)
}
