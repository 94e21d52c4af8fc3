package compute

// The kernel gradient without im2col, for the shapes whose forward pass
// runs in convForwardDirect's grid layout. With the band's input rows laid
// out as a grid (one row's right padding being the next one's left) and dy
// copied into the same grid of positions, zero where a position is not an
// output pixel, kernel row ky's gradient is
//
//	dw[ky][kx*InC+c][oc] = Σ_q band[(q+ky*stride)*InC + kx*InC+c] * dyg[q*OutC+oc]
//
// a product whose A operand, indexed (kx*InC+c, q), lies in the band with
// row stride 1 and column stride InC: the micro-kernel reads it in place.

// directFilterMaxFloats bounds the kernel gradient, in floats, of which
// each of sumShares's shares keeps a private copy.
const directFilterMaxFloats = 1 << 20

// useDirectFilter reports whether convBackwardFilterDirect runs p.
// It needs stride 1, the grid layout to waste at most one position in
// eight, and a kernel small enough for private copies.
func (p ConvParams) useDirectFilter(kern *gemmKernel) bool {
	stride := p.InW + max(p.PadLeft, p.PadRight)
	return p.useDirect(kern) && p.StrideH == 1 && p.StrideW == 1 && 8*p.OutW() >= 7*stride &&
		p.KH*p.KW*p.InC*p.OutC <= directFilterMaxFloats
}

// convBackwardFilterDirect adds the kernel gradient of p to dw, summing
// the bands of output rows in sumShares's shares.
func convBackwardFilterDirect(kern *gemmKernel, p ConvParams, x, dy, dw []float32) {
	mr, nr := kern.mr, kern.nr
	oh, ow, c := p.OutH(), p.OutW(), p.InC
	g := directGeometry{grid: true, stride: p.InW + max(p.PadLeft, p.PadRight)}
	size := p.KH * p.KW * c * p.OutC
	reach := (p.KH-1)*p.DilationH + 1
	bandRows := min(max(directBandFloats/(g.stride*c)-reach+1, 1), oh)
	bandsPerImage := (oh + bandRows - 1) / bandRows
	tasks := p.Batch * bandsPerImage
	inRows := bandRows - 1 + reach
	slack := (mr + p.KW + p.PadLeft + p.PadRight) * c
	sumShares(tasks, size, dw, func(t0, t1 int, acc []float32) {
		buf := getScratch(inRows*g.stride*c + slack)
		defer putScratch(buf)
		band := *buf
		// dy on the band's grid of positions, with nr floats of slack
		// for the partial last panel's reads.
		dybuf := getScratch(bandRows*g.stride*p.OutC + nr)
		defer putScratch(dybuf)
		dyg := *dybuf
		clear(dyg)
		tile := getScratch(mr * nr)
		defer putScratch(tile)
		for t := t0; t < t1; t++ {
			n, b := t/bandsPerImage, t%bandsPerImage
			oy0, oy1 := b*bandRows, min((b+1)*bandRows, oh)
			rows := oy1 - oy0 - 1 + reach
			g.copyRows(p, x[n*p.InH*p.InW*c:], oy0-p.PadTop, rows, band[:rows*g.stride*c+slack])
			for r := 0; r < oy1-oy0; r++ {
				src := dy[((n*oh+oy0+r)*ow)*p.OutC : ((n*oh+oy0+r+1)*ow)*p.OutC]
				copy(dyg[r*g.stride*p.OutC:], src)
			}
			positions := (oy1-oy0-1)*g.stride + ow
			directFilterBand(kern, p, g, positions, band, dyg, *tile, acc)
		}
	})
}

// sumShares adds to dw[:size] a gradient summed over tasks [0, tasks). The
// tasks are split into a fixed number of contiguous shares, twice as many
// as workers; the workers take shares as they finish (so that one the OS
// delays holds the others up less), fn sums each share's tasks [t0, t1) in
// order into the zeroed acc, and the shares' sums are added into dw in
// share order: the result does not depend on thread timing.
func sumShares(tasks, size int, dw []float32, fn func(t0, t1 int, acc []float32)) {
	shares := min(2*Threads(), tasks)
	partials := make([]*[]float32, shares)
	dynamicWorkers(shares, func(_ int, next func() int) {
		for s := next(); s >= 0; s = next() {
			partials[s] = getScratch(size)
			clear(*partials[s])
			fn(s*tasks/shares, (s+1)*tasks/shares, *partials[s])
		}
	})
	for _, part := range partials[1:] {
		addToParallel(*partials[0], *part)
		putScratch(part)
	}
	addToParallel(dw[:size], *partials[0])
	putScratch(partials[0])
}

// pointwiseFilterChunkFloats bounds the input rows one product of
// convBackwardFilterPointwise reads, in floats (512 KiB, in L2). A
// variable so that tests can shrink it.
var pointwiseFilterChunkFloats = 1 << 17

// useDirectFilterPointwise reports whether convBackwardFilterPointwise
// runs p: a pointwise convolution with one group and a small kernel.
func (p ConvParams) useDirectFilterPointwise() bool {
	return p.isPointwise() && p.Groups == 1 && p.InC*p.OutC <= pointwiseFilterMaxFloats
}

// pointwiseFilterMaxFloats bounds the kernel convBackwardFilterPointwise
// takes: beyond it, zeroing and summing the shares' copies costs more than
// the packing it saves (measured on 512→2048).
const pointwiseFilterMaxFloats = 1 << 18

// convBackwardFilterPointwise adds the kernel gradient of a pointwise
// convolution, dw = xᵀ·dy over all pixels, to dw without packing: the
// micro-kernel reads xᵀ in place (row stride 1, column stride InC) and dy
// as it lies, a chunk of pixels at a time (the chunk's rows of x stay in
// L2 while every panel of dy's columns passes over them).
func convBackwardFilterPointwise(kern *gemmKernel, p ConvParams, x, dy, dw []float32) {
	mr, nr := kern.mr, kern.nr
	total := p.Batch * p.InH * p.InW
	chunk := min(max(pointwiseFilterChunkFloats/p.InC, 16), 1024)
	chunks := (total + chunk - 1) / chunk
	sumShares(chunks, p.InC*p.OutC, dw, func(t0, t1 int, acc []float32) {
		tile := getScratch(mr * nr)
		defer putScratch(tile)
		// Packed copies of the partial panels, whose in-place reads would
		// run past the end of x or dy.
		apart := getScratch(mr * chunk)
		defer putScratch(apart)
		bpart := getScratch(chunk * nr)
		defer putScratch(bpart)
		for t := t0; t < t1; t++ {
			r0, r1 := t*chunk, min((t+1)*chunk, total)
			k := r1 - r0
			xs, dys := x[r0*p.InC:], dy[r0*p.OutC:]
			lastA := p.InC / mr * mr // the partial panel of xᵀ, if any
			if lastA < p.InC {
				packAPanels(true, xs, p.InC, lastA, 0, p.InC-lastA, k, mr, *apart)
			}
			for j0 := 0; j0 < p.OutC; j0 += nr {
				cols := min(nr, p.OutC-j0)
				b, ldb := &dys[j0], p.OutC
				if cols < nr {
					packBPanels(false, dys, p.OutC, 0, j0, k, cols, nr, *bpart)
					b, ldb = &(*bpart)[0], nr
				}
				for i0 := 0; i0 < p.InC; i0 += mr {
					m := min(mr, p.InC-i0)
					dst := acc[i0*p.OutC+j0:]
					if m == mr && cols == nr {
						kern.fn(k, &xs[i0], 1, p.InC, b, ldb, &dst[0], p.OutC, 1, 1)
						continue
					}
					a, rsa, csa := &xs[i0], 1, p.InC
					if m < mr {
						a, rsa, csa = &(*apart)[0], 1, mr
					}
					kern.fn(k, a, rsa, csa, b, ldb, &(*tile)[0], nr, 1, 0)
					for i := 0; i < m; i++ {
						addTo(dst[i*p.OutC:i*p.OutC+cols], (*tile)[i*nr:i*nr+cols])
					}
				}
			}
		}
	})
}

// directFilterBand adds one band's kernel gradient to acc: positions grid
// positions of dyg (zero where not an output pixel) against band.
func directFilterBand(kern *gemmKernel, p ConvParams, g directGeometry, positions int, band, dyg, tile, acc []float32) {
	mr, nr := kern.mr, kern.nr
	c := p.InC
	kRow := p.KW * c
	for ky := 0; ky < p.KH; ky++ {
		rowsAt := ky * p.DilationH * g.stride * c
		for i0 := 0; i0 < kRow; i0 += mr {
			m := min(mr, kRow-i0)
			for j0 := 0; j0 < p.OutC; j0 += nr {
				cols := min(nr, p.OutC-j0)
				a := &band[rowsAt+i0]
				dst := acc[(ky*kRow+i0)*p.OutC+j0:]
				if m == mr && cols == nr {
					kern.fn(positions, a, 1, c, &dyg[j0], p.OutC, &dst[0], p.OutC, 1, 1)
					continue
				}
				kern.fn(positions, a, 1, c, &dyg[j0], p.OutC, &tile[0], nr, 1, 0)
				for i := 0; i < m; i++ {
					addTo(dst[i*p.OutC:i*p.OutC+cols], tile[i*nr:i*nr+cols])
				}
			}
		}
	}
}
