package compute

// A depthwise convolution with stride 1 and multiplier 1 reads, for one
// kernel tap, a contiguous run of input pixels for a contiguous run of
// output pixels. With each tap's weights repeated across a row, a whole
// row's tap is then one long mulAdd instead of one short call per pixel,
// which matters for the narrow channel counts of mobile networks.

// isRowDepthwise reports a depthwise p that the row kernels handle.
func (p ConvParams) isRowDepthwise() bool {
	return p.StrideH == 1 && p.StrideW == 1 && p.OutC == p.InC
}

// repeatTaps returns, for each of the KH*KW taps, w's OutC weights repeated
// width times, in scratch the caller must hand back.
func repeatTaps(p ConvParams, w []float32, width int) *[]float32 {
	c := p.OutC
	buf := getScratch(p.KH * p.KW * width * c)
	rep := *buf
	for t := 0; t < p.KH*p.KW; t++ {
		for i := 0; i < width; i++ {
			copy(rep[(t*width+i)*c:(t*width+i+1)*c], w[t*c:(t+1)*c])
		}
	}
	return buf
}

// tapSpan returns the output columns [ox0, ox1) whose tap kx lands inside
// the input row, and the input column the first of them reads.
func (p ConvParams) tapSpan(kx, ow int) (ox0, ox1, ix0 int) {
	shift := kx*p.DilationW - p.PadLeft // ix = ox + shift
	ox0, ox1 = max(0, -shift), min(ow, p.InW-shift)
	return ox0, ox1, ox0 + shift
}

// depthwiseRowsForward is depthwiseForward for isRowDepthwise p.
func depthwiseRowsForward(p ConvParams, x, w, bias, y []float32) {
	oh, ow, c := p.OutH(), p.OutW(), p.InC
	rep := repeatTaps(p, w, ow)
	defer putScratch(rep)
	wr := *rep
	ParallelFor(p.Batch*oh, 1, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			n, oy := r/oh, r%oh
			out := y[r*ow*c : (r+1)*ow*c]
			if bias != nil {
				for ox := 0; ox < ow; ox++ {
					copy(out[ox*c:(ox+1)*c], bias)
				}
			} else {
				clear(out)
			}
			for ky := 0; ky < p.KH; ky++ {
				iy := oy - p.PadTop + ky*p.DilationH
				if iy < 0 || iy >= p.InH {
					continue
				}
				in := x[(n*p.InH+iy)*p.InW*c : (n*p.InH+iy+1)*p.InW*c]
				for kx := 0; kx < p.KW; kx++ {
					ox0, ox1, ix0 := p.tapSpan(kx, ow)
					if ox0 >= ox1 {
						continue
					}
					t := ky*p.KW + kx
					mulAdd(out[ox0*c:ox1*c], in[ix0*c:], wr[t*ow*c:])
				}
			}
		}
	})
}

// depthwiseRowsBackwardData is depthwiseBackwardData for isRowDepthwise p:
// input row iy gathers from output row iy+PadTop-ky*DilationH for each ky.
func depthwiseRowsBackwardData(p ConvParams, dy, w, dx []float32) {
	oh, ow, c := p.OutH(), p.OutW(), p.InC
	rep := repeatTaps(p, w, ow)
	defer putScratch(rep)
	wr := *rep
	ParallelFor(p.Batch*p.InH, 1, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			n, iy := r/p.InH, r%p.InH
			out := dx[r*p.InW*c : (r+1)*p.InW*c]
			clear(out)
			for ky := 0; ky < p.KH; ky++ {
				oy := iy + p.PadTop - ky*p.DilationH
				if oy < 0 || oy >= oh {
					continue
				}
				g := dy[(n*oh+oy)*ow*c : (n*oh+oy+1)*ow*c]
				for kx := 0; kx < p.KW; kx++ {
					ox0, ox1, ix0 := p.tapSpan(kx, ow)
					if ox0 >= ox1 {
						continue
					}
					t := ky*p.KW + kx
					mulAdd(out[ix0*c:(ix0+ox1-ox0)*c], g[ox0*c:], wr[t*ow*c:])
				}
			}
		}
	})
}

// depthwiseRowsBackwardFilter is depthwiseBackwardFilter for isRowDepthwise
// p. Each worker sums whole rows of products into per-tap row buffers, and
// the buffers' pixels are folded into dw at the end.
func depthwiseRowsBackwardFilter(p ConvParams, x, dy, dw []float32) {
	oh, ow, c := p.OutH(), p.OutW(), p.InC
	taps := p.KH * p.KW
	partials := make([]*[]float32, Threads())
	parallelWorkers(p.Batch*oh, func(wk, r0, r1 int) {
		partials[wk] = getScratch(taps * ow * c)
		acc := *partials[wk]
		clear(acc)
		for r := r0; r < r1; r++ {
			n, oy := r/oh, r%oh
			g := dy[r*ow*c : (r+1)*ow*c]
			for ky := 0; ky < p.KH; ky++ {
				iy := oy - p.PadTop + ky*p.DilationH
				if iy < 0 || iy >= p.InH {
					continue
				}
				in := x[(n*p.InH+iy)*p.InW*c : (n*p.InH+iy+1)*p.InW*c]
				for kx := 0; kx < p.KW; kx++ {
					ox0, ox1, ix0 := p.tapSpan(kx, ow)
					if ox0 >= ox1 {
						continue
					}
					t := ky*p.KW + kx
					mulAdd(acc[(t*ow+ox0)*c:(t*ow+ox1)*c], in[ix0*c:], g[ox0*c:])
				}
			}
		}
	})
	for _, part := range partials {
		if part == nil {
			continue
		}
		acc := *part
		for t := 0; t < taps; t++ {
			for ox := 0; ox < ow; ox++ {
				addTo(dw[t*c:(t+1)*c], acc[(t*ow+ox)*c:(t*ow+ox+1)*c])
			}
		}
		putScratch(part)
	}
}
