package compute

// This file runs convolutions whose kernel rows read adjacent input pixels
// (one group, horizontal dilation 1) without im2col. In NHWC the KW taps of
// one kernel row, for one output pixel, are KW*InC contiguous floats of the
// input row, and the next output pixel's taps start StrideW*InC floats
// later. So for each kernel row ky, the patch rows of mr adjacent output
// pixels form an mr×(KW*InC) matrix with row stride StrideW*InC that lies
// in the input as it is: the Gemm micro-kernel reads it in place
// (rsa = StrideW*InC, csa = 1) and sums the KH kernel rows into the output
// tile with beta = 1.
// Only padding needs a copy: each worker copies the input rows its band of
// output rows reads, with zero columns either side, into scratch (which
// stays in L2 while the band is computed).

// directBandFloats bounds one band's padded input rows, in floats (256 KiB).
// A variable so that tests can shrink it and exercise many bands.
var directBandFloats = 1 << 16

// convForward computes y = conv(x, w) + bias for a non-depthwise p, directly
// where it can, else through im2col and Gemm.
func convForward(p ConvParams, x, w, bias, y []float32) {
	if kern := activeGemm.Load(); p.useDirect(kern) {
		convForwardDirect(kern, p, x, w, bias, y)
		return
	}
	convForwardGemm(p, x, w, bias, y)
}

// packDirectKernelFlipped writes, for the p of a stride-1 backward-data
// pass with one group, the kernel of backwardDataAsForward(p) (w flipped
// in space, input and output channels swapped) packed as packDirectKernel
// would pack it: one pass, transposing each tap's InC×OutC block with the
// assembly row packers, instead of flipKernel followed by packing.
func packDirectKernelFlipped(p ConvParams, nr int, w, dst []float32) {
	k := p.KW * p.OutC // the flipped kernel's rows per kernel row
	panels := (p.InC + nr - 1) / nr
	taps := p.KH * p.KW
	ParallelFor(taps, 1, func(t0, t1 int) {
		for t := t0; t < t1; t++ {
			ky, kx := t/p.KW, t%p.KW // tap of the flipped kernel
			src := w[((p.KH-1-ky)*p.KW+p.KW-1-kx)*p.InC*p.OutC:]
			for jp := 0; jp < panels; jp++ {
				cols := min(nr, p.InC-jp*nr)
				d := dst[(ky*panels+jp)*nr*k+kx*p.OutC*nr:]
				packBPanels(true, src, p.OutC, 0, jp*nr, p.OutC, cols, nr, d)
			}
		}
	})
}

// packDirectKernel writes w as KH blocks of (KW*InC)×OutC, each split into
// zero-padded panels of nr columns: the B panels convForwardDirect passes
// to the micro-kernel.
func packDirectKernel(p ConvParams, nr int, w, dst []float32) {
	k := p.KW * p.InC
	panels := (p.OutC + nr - 1) / nr
	ParallelFor(p.KH, 1, func(k0, k1 int) {
		for ky := k0; ky < k1; ky++ {
			packBPanels(false, w[ky*k*p.OutC:], p.OutC, 0, 0, k, p.OutC, nr, dst[ky*panels*nr*k:])
		}
	})
}

// convForwardDirect computes y = conv(x, w) + bias for a p that passes
// useDirect, with kern's micro-kernel reading patches in place.
func convForwardDirect(kern *gemmKernel, p ConvParams, x, w, bias, y []float32) {
	nr := kern.nr
	wbuf := getScratch(p.KH * (p.OutC + nr - 1) / nr * nr * p.KW * p.InC)
	defer putScratch(wbuf)
	packDirectKernel(p, nr, w, *wbuf)
	convForwardDirectPacked(kern, p, x, *wbuf, bias, y)
}

// convForwardDirectPacked is convForwardDirect with the kernel already
// packed into wp as packDirectKernel writes it. The work is split into
// bands of output rows of one image, which dynamicWorkers hands out.
func convForwardDirectPacked(kern *gemmKernel, p ConvParams, x, wp, bias, y []float32) {
	mr, nr := kern.mr, kern.nr
	oh, ow := p.OutH(), p.OutW()
	c := p.InC
	panels := (p.OutC + nr - 1) / nr
	g := p.directGeometry(mr)
	if p.directWhole(g) {
		if pk := pairKernelFor(kern); pk != nil && 2*ow == mr {
			directPairs(kern, pk, p, x, wp, bias, y)
			return
		}
		directWhole(kern, p, g, x, wp, bias, y)
		return
	}
	reach := (p.KH-1)*p.DilationH + 1 // input rows one output row reads
	// Output rows per band: as many as keep the band's input rows within
	// directBandFloats, at least one.
	bandRows := max((directBandFloats/(g.stride*c)-reach)/p.StrideH+1, 1)
	bandRows = min(bandRows, oh)
	bandsPerImage := (oh + bandRows - 1) / bandRows
	tasks := p.Batch * bandsPerImage
	inRows := (bandRows-1)*p.StrideH + reach
	// Slack past the last row: zero padding, and the whole patch rows that
	// a partial tile reads past the band's end (their results are dropped).
	slack := p.directSlack(mr)
	dynamicWorkers(tasks, func(_ int, next func() int) {
		buf := getScratch(inRows*g.stride*c + slack)
		defer putScratch(buf)
		band := *buf
		tile := getScratch(mr * nr)
		defer putScratch(tile)
		for t := next(); t >= 0; t = next() {
			n, b := t/bandsPerImage, t%bandsPerImage
			oy0, oy1 := b*bandRows, min((b+1)*bandRows, oh)
			rows := (oy1-oy0-1)*p.StrideH + reach
			g.copyRows(p, x[n*p.InH*p.InW*c:], oy0*p.StrideH-p.PadTop, rows, band[:rows*g.stride*c+slack])
			yband := y[(n*oh+oy0)*ow*p.OutC : (n*oh+oy1)*ow*p.OutC]
			g.band(kern, p, oy0*p.StrideH-p.PadTop, oy1-oy0, 0, panels, band, wp, *tile, yband)
			if bias != nil {
				addBiasRows(yband, bias)
			}
		}
	})
}

// band computes panels [jp0, jp1) of nr output channels for the output
// rows yband, bandRows of them, whose first one's kernel row 0 reads input
// row iy0, from band, the input rows copyRows wrote from iy0 on.
func (g directGeometry) band(kern *gemmKernel, p ConvParams, iy0, bandRows, jp0, jp1 int, band, wp, tile, yband []float32) {
	if g.grid {
		directGridBand(kern, p, g, bandRows, jp0, jp1, band, wp, tile, yband)
	} else {
		directRowBand(kern, p, g, iy0, bandRows, jp0, jp1, band, wp, tile, yband)
	}
}

// directWhole reports whether convForwardDirect should copy the whole
// padded input first and split the work by output channels: when the
// kernel is large next to the input (deep layers on small maps), so that
// bands would each stream all the weights from memory for few pixels.
func (p ConvParams) directWhole(g directGeometry) bool {
	in := p.Batch * (p.InH + p.PadTop + p.PadBottom) * g.stride * p.InC
	return p.StrideH == 1 && in <= 2*p.KH*p.KW*p.InC*p.OutC
}

// directWhole runs convForwardDirect's product over the whole batch at
// once: the padded input of every image is copied first, then the workers
// take (panel of nr output channels, group of images) pairs, panel by
// panel, so that each panel's weights are read from L2 for the whole batch.
func directWhole(kern *gemmKernel, p ConvParams, g directGeometry, x, wp, bias, y []float32) {
	mr, nr := kern.mr, kern.nr
	oh, ow, c := p.OutH(), p.OutW(), p.InC
	panels := (p.OutC + nr - 1) / nr
	rows := p.InH + p.PadTop + p.PadBottom
	slack := p.directSlack(mr)
	imgFloats := rows*g.stride*c + slack
	buf := getScratch(p.Batch * imgFloats)
	defer putScratch(buf)
	all := *buf
	ParallelFor(p.Batch, 1, func(n0, n1 int) {
		for n := n0; n < n1; n++ {
			g.copyRows(p, x[n*p.InH*p.InW*c:], -p.PadTop, rows, all[n*imgFloats:(n+1)*imgFloats])
		}
	})
	// Groups of images small enough to balance the workers, large enough
	// that the panel's weights are reused from L2.
	const imagesPerTask = 4
	groups := (p.Batch + imagesPerTask - 1) / imagesPerTask
	tasks := panels * groups
	dynamicWorkers(tasks, func(_ int, next func() int) {
		tile := getScratch(mr * nr)
		defer putScratch(tile)
		for t := next(); t >= 0; t = next() {
			jp, grp := t/groups, t%groups
			for n := grp * imagesPerTask; n < min((grp+1)*imagesPerTask, p.Batch); n++ {
				g.band(kern, p, -p.PadTop, oh, jp, jp+1, all[n*imgFloats:(n+1)*imgFloats], wp, *tile,
					y[n*oh*ow*p.OutC:(n+1)*oh*ow*p.OutC])
			}
		}
	})
	if bias != nil {
		ParallelFor(p.Batch*oh*ow, max(elementwiseGrain/p.OutC, 1), func(r0, r1 int) {
			addBiasRows(y[r0*p.OutC:r1*p.OutC], bias)
		})
	}
}

// directGeometry is how convForwardDirect lays out a band's input rows and
// maps output pixels to micro-kernel tiles.
type directGeometry struct {
	// grid: output pixels are numbered across the band's rows, stride
	// pixels to a row, and tiles run across row ends; the columns past
	// OutW in each row are computed but dropped. Needs StrideH == 1.
	// Otherwise tiles stay within one output row.
	grid bool
	// stride is the pixels from one input row to the next in the band:
	// InW+PadLeft+PadRight, or in a grid, InW + max(PadLeft, PadRight),
	// one row's right padding being the next one's left padding.
	stride int
}

// directGeometry picks the layout that wastes fewer tile rows.
func (p ConvParams) directGeometry(mr int) directGeometry {
	ow := p.OutW()
	rowSlots := (ow + mr - 1) / mr * mr // tile rows per output row in row mode
	gridStride := p.InW + max(p.PadLeft, p.PadRight)
	if p.StrideH == 1 && p.StrideW == 1 && gridStride < rowSlots {
		return directGeometry{grid: true, stride: gridStride}
	}
	return directGeometry{stride: p.InW + p.PadLeft + p.PadRight}
}

// useDirect reports whether convForwardDirect can run p and waste few of
// the micro-kernel's rows.
func (p ConvParams) useDirect(kern *gemmKernel) bool {
	if p.Groups != 1 || p.DilationW != 1 || p.isPointwise() || p.KW*p.InC < directMinDepth {
		return false
	}
	g := p.directGeometry(kern.mr)
	slots := (p.OutW() + kern.mr - 1) / kern.mr * kern.mr
	if g.grid {
		slots = g.stride
	}
	return 4*p.OutW() >= 3*slots // at least 75% of the tile rows are used
}

// directMinDepth is the fewest values (KW*InC) one kernel row's patch must
// have for convForwardDirect: with fewer, such as the 3-channel stem, the
// micro-kernel's calls are too short and im2col's single deep product
// wins.
const directMinDepth = 32

// directSlack is the floats a band needs past its last input row: zero
// padding, and the whole patch rows that a partial tile reads past the
// band's end (their results are dropped).
func (p ConvParams) directSlack(mr int) int {
	return (mr*p.StrideW + p.KW + p.PadLeft + p.PadRight) * p.InC
}

// copyRows copies rows input rows of one image img, from row iy0 on, into
// band in g's layout, with zero padding columns. In a grid, rows outside the
// image are zero (tiles span rows that read different kernel rows); in row
// mode they are left as they are, since directRowBand skips them.
func (g directGeometry) copyRows(p ConvParams, img []float32, iy0, rows int, band []float32) {
	c := p.InC
	if !g.grid {
		rowFloats := g.stride * c
		for r := 0; r < rows; r++ {
			iy := iy0 + r
			if iy < 0 || iy >= p.InH {
				continue
			}
			dst := band[r*rowFloats : (r+1)*rowFloats]
			clear(dst[:p.PadLeft*c])
			copy(dst[p.PadLeft*c:], img[iy*p.InW*c:(iy+1)*p.InW*c])
			clear(dst[(p.PadLeft+p.InW)*c:])
		}
		clear(band[rows*rowFloats:])
		return
	}
	// Row r's pixel ix is at (r*stride + PadLeft + ix)*c.
	for r := 0; r < rows; r++ {
		iy := iy0 + r
		dst := band[r*g.stride*c : (r+1)*g.stride*c]
		if iy < 0 || iy >= p.InH {
			clear(dst)
			continue
		}
		clear(dst[:p.PadLeft*c])
		copy(dst[p.PadLeft*c:], img[iy*p.InW*c:(iy+1)*p.InW*c])
		clear(dst[(p.PadLeft+p.InW)*c:])
	}
	clear(band[rows*g.stride*c:])
}

// directRowBand computes the output rows yband, bands rows of them, in row
// mode. band holds the padded input rows from iy0 on, iy0 being the row
// that kernel row 0 of the first output row reads (kernel rows that read
// outside the image are skipped). wp is the kernel as packDirectKernel
// writes it; tile is mr×nr scratch for partial tiles.
//
// Each panel of nr output channels runs over the whole band before the
// next, so that its KH*KW*InC×nr weights stay in L2 while they are reused.
func directRowBand(kern *gemmKernel, p ConvParams, g directGeometry, iy0, bandRows, jp0, jp1 int, band, wp, tile, yband []float32) {
	mr, nr := kern.mr, kern.nr
	ow, c := p.OutW(), p.InC
	k := p.KW * c
	sw := p.StrideW * c // floats from one output pixel's patch to the next
	rowFloats := g.stride * c
	panels := (p.OutC + nr - 1) / nr
	for r := 0; r < bandRows; r++ {
		iy := iy0 + r*p.StrideH
		if ky0, ky1 := p.kernelRowsInside(iy); ky0 >= ky1 {
			for i := 0; i < ow; i++ {
				clear(yband[(r*ow+i)*p.OutC+jp0*nr : (r*ow+i)*p.OutC+min(jp1*nr, p.OutC)])
			}
		}
	}
	for jp := jp0; jp < jp1; jp++ {
		cols := min(nr, p.OutC-jp*nr)
		wpanel := wp[jp*nr*k:]
		for r := 0; r < bandRows; r++ {
			iy := iy0 + r*p.StrideH
			ky0, ky1 := p.kernelRowsInside(iy)
			rows := band[r*p.StrideH*rowFloats:]
			yrow := yband[r*ow*p.OutC : (r+1)*ow*p.OutC]
			for ox0 := 0; ox0 < ow; ox0 += mr {
				m := min(mr, ow-ox0)
				dst, ldc := yrow[ox0*p.OutC+jp*nr:], p.OutC
				full := m == mr && cols == nr
				if !full {
					dst, ldc = tile, nr
				}
				beta := float32(0)
				for ky := ky0; ky < ky1; ky++ {
					a := &rows[ky*p.DilationH*rowFloats+ox0*sw]
					kern.fn(k, a, sw, 1, &wpanel[ky*panels*nr*k], nr, &dst[0], ldc, 1, beta)
					beta = 1
				}
				if !full && ky0 < ky1 {
					for i := 0; i < m; i++ {
						copy(yrow[(ox0+i)*p.OutC+jp*nr:(ox0+i)*p.OutC+jp*nr+cols], tile[i*nr:i*nr+cols])
					}
				}
			}
		}
	}
}

// directGridBand computes the output rows yband, bandRows of them, in grid
// mode: band holds the input rows from the one kernel row 0 of the first
// output row reads, zero rows standing in for those outside the image.
// Every tile goes through the scratch tile, whose rows are copied to the
// output pixels they stand for.
func directGridBand(kern *gemmKernel, p ConvParams, g directGeometry, bandRows, jp0, jp1 int, band, wp, tile, yband []float32) {
	mr, nr := kern.mr, kern.nr
	ow, c := p.OutW(), p.InC
	k := p.KW * c
	panels := (p.OutC + nr - 1) / nr
	end := (bandRows-1)*g.stride + ow // one past the last output pixel
	for jp := jp0; jp < jp1; jp++ {
		cols := min(nr, p.OutC-jp*nr)
		wpanel := wp[jp*nr*k:]
		for q0 := 0; q0 < end; q0 += mr {
			for ky := 0; ky < p.KH; ky++ {
				a := &band[(ky*p.DilationH*g.stride+q0)*c]
				beta := float32(1)
				if ky == 0 {
					beta = 0
				}
				kern.fn(k, a, c, 1, &wpanel[ky*panels*nr*k], nr, &tile[0], nr, 1, beta)
			}
			for i := 0; i < min(mr, end-q0); i++ {
				r, ox := (q0+i)/g.stride, (q0+i)%g.stride
				if ox < ow {
					o := (r*ow+ox)*p.OutC + jp*nr
					copy(yband[o:o+cols], tile[i*nr:i*nr+cols])
				}
			}
		}
	}
}

// kernelRowsInside returns the kernel rows [ky0, ky1) that read inside the
// input when kernel row 0 reads input row iy.
func (p ConvParams) kernelRowsInside(iy int) (ky0, ky1 int) {
	dh := p.DilationH
	if iy < 0 {
		ky0 = (-iy + dh - 1) / dh
	}
	if iy < p.InH {
		ky1 = min(p.KH, (p.InH-iy+dh-1)/dh)
	}
	return min(ky0, p.KH), max(ky1, 0)
}
