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

// directFilterMaxFloats bounds the kernel gradient, in floats, that each
// worker keeps a private copy of.
const directFilterMaxFloats = 1 << 20

// useDirectFilter reports whether convBackwardFilterDirect runs p.
// It needs the grid layout (vertical stride 1) to waste at most one
// position in eight, and a kernel small enough for private copies.
func (p ConvParams) useDirectFilter(kern *gemmKernel) bool {
	stride := p.InW + max(p.PadLeft, p.PadRight)
	return p.useDirect(kern) && p.StrideH == 1 && 8*p.OutW() >= 7*stride &&
		p.KH*p.KW*p.InC*p.OutC <= directFilterMaxFloats
}

// convBackwardFilterDirect adds the kernel gradient of p to dw. The bands
// of output rows are split into a fixed number of contiguous shares, twice
// as many as workers; the workers take shares as they finish (so that one
// the OS delays holds the others up less), each share summing its bands in
// order into its own gradient, and the shares' gradients are added into dw
// in share order: the result does not depend on thread timing.
func convBackwardFilterDirect(kern *gemmKernel, p ConvParams, x, dy, dw []float32) {
	mr, nr := kern.mr, kern.nr
	oh, ow, c := p.OutH(), p.OutW(), p.InC
	g := directGeometry{grid: true, stride: p.InW + max(p.PadLeft, p.PadRight)}
	kRow := p.KW * c // rows of one kernel row's gradient
	size := p.KH * kRow * p.OutC
	reach := (p.KH-1)*p.DilationH + 1
	bandRows := min(max(directBandFloats/(g.stride*c)-reach+1, 1), oh)
	bandsPerImage := (oh + bandRows - 1) / bandRows
	tasks := p.Batch * bandsPerImage
	inRows := bandRows - 1 + reach
	slack := (mr + p.KW + p.PadLeft + p.PadRight) * c
	shares := min(2*Threads(), tasks)
	partials := make([]*[]float32, shares)
	dynamicWorkers(shares, func(_ int, next func() int) {
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
		for s := next(); s >= 0; s = next() {
			partials[s] = getScratch(size)
			acc := *partials[s]
			clear(acc)
			for t := s * tasks / shares; t < (s+1)*tasks/shares; t++ {
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
		}
	})
	for _, part := range partials[1:] {
		addToParallel(*partials[0], *part)
		putScratch(part)
	}
	addToParallel(dw[:size], *partials[0])
	putScratch(partials[0])
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
