package compute

// im2colRows writes the patches of output pixels [r0, r1) (numbered over
// batch, output row and output column) for channel group g into col, one row
// of KH*KW*icg values per pixel in [KH][KW][icg] order, matching the HWIO
// kernel's rows. Taps that fall into padding are zero.
func im2colRows(p ConvParams, x []float32, g, r0, r1 int, col []float32) {
	oh, ow := p.OutH(), p.OutW()
	icg := p.InC / p.Groups
	k := p.KH * p.KW * icg
	n, rem := r0/(oh*ow), r0%(oh*ow)
	oy, ox := rem/ow, rem%ow
	// With one group and no horizontal dilation, a kernel row's taps are
	// adjacent pixels, whose channels lie end to end in x.
	contiguous := p.Groups == 1 && p.DilationW == 1
	for r := r0; r < r1; r++ {
		dst := col[(r-r0)*k : (r-r0+1)*k]
		iy0 := oy*p.StrideH - p.PadTop
		ix0 := ox*p.StrideW - p.PadLeft
		img := x[n*p.InH*p.InW*p.InC:]
		i := 0
		for ky := 0; ky < p.KH; ky++ {
			iy := iy0 + ky*p.DilationH
			if iy < 0 || iy >= p.InH {
				clear(dst[i : i+p.KW*icg])
				i += p.KW * icg
				continue
			}
			rowBase := iy*p.InW*p.InC + g*icg
			if contiguous {
				// The taps of one kernel row are one run of the input row.
				kx0, kx1 := p.tapRange(ix0)
				clear(dst[i : i+kx0*icg])
				if kx0 < kx1 {
					s := rowBase + (ix0+kx0)*icg
					copy(dst[i+kx0*icg:i+kx1*icg], img[s:s+(kx1-kx0)*icg])
				}
				clear(dst[i+kx1*icg : i+p.KW*icg])
				i += p.KW * icg
				continue
			}
			for kx := 0; kx < p.KW; kx++ {
				ix := ix0 + kx*p.DilationW
				if ix < 0 || ix >= p.InW {
					clear(dst[i : i+icg])
				} else {
					s := rowBase + ix*p.InC
					copy(dst[i:i+icg], img[s:s+icg])
				}
				i += icg
			}
		}
		if ox++; ox == ow {
			ox = 0
			if oy++; oy == oh {
				oy = 0
				n++
			}
		}
	}
}

// col2imRows is im2colRows's adjoint: it adds each patch row of col for
// output pixels [r0, r1) and group g back into dx at the taps it came from.
func col2imRows(p ConvParams, col []float32, g, r0, r1 int, dx []float32) {
	oh, ow := p.OutH(), p.OutW()
	icg := p.InC / p.Groups
	k := p.KH * p.KW * icg
	n, rem := r0/(oh*ow), r0%(oh*ow)
	oy, ox := rem/ow, rem%ow
	// With one group and no horizontal dilation, a kernel row's taps are
	// adjacent pixels, whose channels lie end to end in x.
	contiguous := p.Groups == 1 && p.DilationW == 1
	for r := r0; r < r1; r++ {
		src := col[(r-r0)*k : (r-r0+1)*k]
		iy0 := oy*p.StrideH - p.PadTop
		ix0 := ox*p.StrideW - p.PadLeft
		img := dx[n*p.InH*p.InW*p.InC:]
		i := 0
		for ky := 0; ky < p.KH; ky++ {
			iy := iy0 + ky*p.DilationH
			if iy < 0 || iy >= p.InH {
				i += p.KW * icg
				continue
			}
			rowBase := iy*p.InW*p.InC + g*icg
			if contiguous {
				kx0, kx1 := p.tapRange(ix0)
				if kx0 < kx1 {
					s := rowBase + (ix0+kx0)*icg
					addTo(img[s:s+(kx1-kx0)*icg], src[i+kx0*icg:i+kx1*icg])
				}
				i += p.KW * icg
				continue
			}
			for kx := 0; kx < p.KW; kx++ {
				ix := ix0 + kx*p.DilationW
				if ix >= 0 && ix < p.InW {
					s := rowBase + ix*p.InC
					addTo(img[s:s+icg], src[i:i+icg])
				}
				i += icg
			}
		}
		if ox++; ox == ow {
			ox = 0
			if oy++; oy == oh {
				oy = 0
				n++
			}
		}
	}
}

// tapRange returns the kernel columns [kx0, kx1) of an undilated kernel
// whose leftmost tap reads input column ix0 that land inside the input.
func (p ConvParams) tapRange(ix0 int) (kx0, kx1 int) {
	kx0 = min(max(0, -ix0), p.KW)
	kx1 = max(min(p.KW, p.InW-ix0), kx0)
	return kx0, kx1
}
