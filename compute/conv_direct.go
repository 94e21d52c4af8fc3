package compute

import "sync/atomic"

// This file runs convolutions whose kernel rows read adjacent input pixels
// (one group, horizontal stride and dilation 1) without im2col. In NHWC the
// KW taps of one kernel row, for one output pixel, are KW*InC contiguous
// floats of the input row, and the next output pixel's taps start InC
// floats later. So for each kernel row ky, the patch rows of mr adjacent
// output pixels form an mr×(KW*InC) matrix with row stride InC that lies in
// the input as it is: the Gemm micro-kernel reads it in place (rsa = InC,
// csa = 1) and sums the KH kernel rows into the output tile with beta = 1.
// Only padding needs a copy: each worker copies the input rows its band of
// output rows reads, with zero columns either side, into scratch (which
// stays in L2 while the band is computed).

// directBandFloats bounds one band's padded input rows, in floats (256 KiB).
// A variable so that tests can shrink it and exercise many bands.
var directBandFloats = 1 << 16

// useDirect reports whether convForwardDirect can run p and waste few of
// the micro-kernel's rows at the end of each output row.
func (p ConvParams) useDirect(kern *gemmKernel) bool {
	if p.Groups != 1 || p.StrideW != 1 || p.DilationW != 1 || p.isPointwise() {
		return false
	}
	ow := p.OutW()
	tiles := (ow + kern.mr - 1) / kern.mr
	return 4*ow >= 3*tiles*kern.mr // at least 75% of the tile rows are used
}

// convForward computes y = conv(x, w) + bias for a non-depthwise p, directly
// where it can, else through im2col and Gemm.
func convForward(p ConvParams, x, w, bias, y []float32) {
	if kern := activeGemm.Load(); p.useDirect(kern) {
		convForwardDirect(kern, p, x, w, bias, y)
		return
	}
	convForwardGemm(p, x, w, bias, y)
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
	mr, nr := kern.mr, kern.nr
	oh, ow := p.OutH(), p.OutW()
	c := p.InC
	k := p.KW * c
	panels := (p.OutC + nr - 1) / nr
	wbuf := getScratch(p.KH * panels * nr * k)
	defer putScratch(wbuf)
	wp := *wbuf
	packDirectKernel(p, nr, w, wp)

	pw := p.InW + p.PadLeft + p.PadRight // padded input row, in pixels
	rowFloats := pw * c
	reach := (p.KH-1)*p.DilationH + 1 // input rows one output row reads
	// Output rows per band: as many as keep the band's input rows within
	// directBandFloats, at least one.
	bandRows := max((directBandFloats/rowFloats-reach)/p.StrideH+1, 1)
	bandRows = min(bandRows, oh)
	bandsPerImage := (oh + bandRows - 1) / bandRows
	tasks := p.Batch * bandsPerImage
	inRows := (bandRows-1)*p.StrideH + reach
	var next atomic.Int64
	parallelWorkers(min(Threads(), tasks), func(_, _, _ int) {
		// mr*c floats of slack: the last partial tile reads whole patch
		// rows past the band's end (their results are dropped).
		buf := getScratch(inRows*rowFloats + mr*c)
		defer putScratch(buf)
		band := *buf
		clear(band[inRows*rowFloats:])
		tile := getScratch(mr * nr)
		defer putScratch(tile)
		for {
			t := int(next.Add(1)) - 1
			if t >= tasks {
				return
			}
			n, b := t/bandsPerImage, t%bandsPerImage
			oy0, oy1 := b*bandRows, min((b+1)*bandRows, oh)
			iyLo := oy0*p.StrideH - p.PadTop
			copyPaddedRows(p, x[n*p.InH*p.InW*c:], iyLo, (oy1-oy0-1)*p.StrideH+reach, band)
			for oy := oy0; oy < oy1; oy++ {
				yrow := y[(n*oh+oy)*ow*p.OutC : (n*oh+oy+1)*ow*p.OutC]
				iy := oy*p.StrideH - p.PadTop
				directRow(kern, p, iy, band[(iy-iyLo)*rowFloats:], wp, *tile, yrow)
				if bias != nil {
					addBiasRows(yrow, bias)
				}
			}
		}
	})
}

// copyPaddedRows copies rows input rows of one image img, from row iy0 on,
// into band with PadLeft and PadRight zero pixels either side; rows outside
// the image are left as they are, since directRow never reads them.
func copyPaddedRows(p ConvParams, img []float32, iy0, rows int, band []float32) {
	c := p.InC
	rowFloats := (p.InW + p.PadLeft + p.PadRight) * c
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
}

// directRow computes one output row yrow from rows, the padded input rows
// from iy on, iy being the row that kernel row 0 reads (possibly outside
// the image: kernel rows that read outside are skipped). wp is the kernel as
// packDirectKernel writes it; tile is mr×nr scratch for partial tiles.
func directRow(kern *gemmKernel, p ConvParams, iy int, rows, wp, tile, yrow []float32) {
	mr, nr := kern.mr, kern.nr
	ow, c := p.OutW(), p.InC
	k := p.KW * c
	rowFloats := (p.InW + p.PadLeft + p.PadRight) * c
	panels := (p.OutC + nr - 1) / nr
	ky0, ky1 := p.kernelRowsInside(iy)
	if ky0 >= ky1 {
		clear(yrow)
		return
	}
	for ox0 := 0; ox0 < ow; ox0 += mr {
		m := min(mr, ow-ox0)
		for jp := 0; jp < panels; jp++ {
			cols := min(nr, p.OutC-jp*nr)
			dst, ldc := yrow[ox0*p.OutC+jp*nr:], p.OutC
			full := m == mr && cols == nr
			if !full {
				dst, ldc = tile, nr
			}
			beta := float32(0)
			for ky := ky0; ky < ky1; ky++ {
				a := &rows[ky*p.DilationH*rowFloats+ox0*c]
				kern.fn(k, a, c, 1, &wp[(ky*panels+jp)*nr*k], nr, &dst[0], ldc, 1, beta)
				beta = 1
			}
			if !full {
				for i := 0; i < m; i++ {
					copy(yrow[(ox0+i)*p.OutC+jp*nr:(ox0+i)*p.OutC+jp*nr+cols], tile[i*nr:i*nr+cols])
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
