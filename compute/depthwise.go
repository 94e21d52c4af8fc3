package compute

// Depthwise convolution (Groups == InC, OutC == InC*mult): each output
// channel oc = c*mult+j reads input channel c alone, so the kernels loop over
// contiguous channels of one pixel at a time instead of going through Gemm.
// Work splits across workers by rows of the image they write.

// depthwiseForward computes y = conv(x, w) + bias for a depthwise p.
func depthwiseForward(p ConvParams, x, w, bias, y []float32) {
	if p.isRowDepthwise() {
		depthwiseRowsForward(p, x, w, bias, y)
		return
	}
	oh, ow := p.OutH(), p.OutW()
	c, oc := p.InC, p.OutC
	mult := oc / c
	ParallelFor(p.Batch*oh, 1, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			n, oy := r/oh, r%oh
			img := x[n*p.InH*p.InW*c : (n+1)*p.InH*p.InW*c]
			for ox := 0; ox < ow; ox++ {
				out := y[(r*ow+ox)*oc : (r*ow+ox+1)*oc]
				if bias != nil {
					copy(out, bias)
				} else {
					clear(out)
				}
				for ky := 0; ky < p.KH; ky++ {
					iy := oy*p.StrideH - p.PadTop + ky*p.DilationH
					if iy < 0 || iy >= p.InH {
						continue
					}
					for kx := 0; kx < p.KW; kx++ {
						ix := ox*p.StrideW - p.PadLeft + kx*p.DilationW
						if ix < 0 || ix >= p.InW {
							continue
						}
						in := img[(iy*p.InW+ix)*c : (iy*p.InW+ix+1)*c]
						wk := w[(ky*p.KW+kx)*oc : (ky*p.KW+kx+1)*oc]
						if mult == 1 {
							mulAdd(out, in, wk)
						} else {
							spreadMulAdd(out, in, wk, mult)
						}
					}
				}
			}
		}
	})
}

// spreadMulAdd computes out[ch*mult+j] += in[ch]*wk[ch*mult+j].
func spreadMulAdd(out, in, wk []float32, mult int) {
	for ch, v := range in {
		o, k := out[ch*mult:(ch+1)*mult], wk[ch*mult:(ch+1)*mult]
		for j := range o {
			o[j] += v * k[j]
		}
	}
}

// depthwiseBackwardData overwrites dx with the input gradient for a
// depthwise p. Each input pixel gathers from the outputs whose windows cover
// it, so workers never write the same element.
func depthwiseBackwardData(p ConvParams, dy, w, dx []float32) {
	if p.isRowDepthwise() {
		depthwiseRowsBackwardData(p, dy, w, dx)
		return
	}
	oh, ow := p.OutH(), p.OutW()
	c, oc := p.InC, p.OutC
	mult := oc / c
	ParallelFor(p.Batch*p.InH, 1, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			n, iy := r/p.InH, r%p.InH
			grad := dy[n*oh*ow*oc : (n+1)*oh*ow*oc]
			for ix := 0; ix < p.InW; ix++ {
				out := dx[(r*p.InW+ix)*c : (r*p.InW+ix+1)*c]
				clear(out)
				for ky := 0; ky < p.KH; ky++ {
					ty := iy + p.PadTop - ky*p.DilationH
					if ty < 0 || ty%p.StrideH != 0 || ty/p.StrideH >= oh {
						continue
					}
					oy := ty / p.StrideH
					for kx := 0; kx < p.KW; kx++ {
						tx := ix + p.PadLeft - kx*p.DilationW
						if tx < 0 || tx%p.StrideW != 0 || tx/p.StrideW >= ow {
							continue
						}
						o := oy*ow + tx/p.StrideW
						g := grad[o*oc : (o+1)*oc]
						wk := w[(ky*p.KW+kx)*oc : (ky*p.KW+kx+1)*oc]
						if mult == 1 {
							mulAdd(out, g, wk)
						} else {
							gatherMulAdd(out, g, wk, mult)
						}
					}
				}
			}
		}
	})
}

// gatherMulAdd computes out[ch] += Σ_j g[ch*mult+j]*wk[ch*mult+j].
func gatherMulAdd(out, g, wk []float32, mult int) {
	for ch := range out {
		gg, k := g[ch*mult:(ch+1)*mult], wk[ch*mult:(ch+1)*mult]
		var s float32
		for j := range gg {
			s += gg[j] * k[j]
		}
		out[ch] += s
	}
}

// depthwiseBackwardFilter adds the kernel gradient for a depthwise p to dw.
// Each worker sums its rows of output into its own buffer (worker 0 into dw
// itself); the buffers are added into dw at the end.
func depthwiseBackwardFilter(p ConvParams, x, dy, dw []float32) {
	if p.isRowDepthwise() {
		depthwiseRowsBackwardFilter(p, x, dy, dw)
		return
	}
	oh, ow := p.OutH(), p.OutW()
	c, oc := p.InC, p.OutC
	mult := oc / c
	partials := make([]*[]float32, Threads())
	parallelWorkers(p.Batch*oh, func(wk, r0, r1 int) {
		acc := dw
		if wk > 0 {
			partials[wk] = getScratch(len(dw))
			acc = *partials[wk]
			clear(acc)
		}
		for r := r0; r < r1; r++ {
			n, oy := r/oh, r%oh
			img := x[n*p.InH*p.InW*c : (n+1)*p.InH*p.InW*c]
			for ox := 0; ox < ow; ox++ {
				g := dy[(r*ow+ox)*oc : (r*ow+ox+1)*oc]
				for ky := 0; ky < p.KH; ky++ {
					iy := oy*p.StrideH - p.PadTop + ky*p.DilationH
					if iy < 0 || iy >= p.InH {
						continue
					}
					for kx := 0; kx < p.KW; kx++ {
						ix := ox*p.StrideW - p.PadLeft + kx*p.DilationW
						if ix < 0 || ix >= p.InW {
							continue
						}
						in := img[(iy*p.InW+ix)*c : (iy*p.InW+ix+1)*c]
						dk := acc[(ky*p.KW+kx)*oc : (ky*p.KW+kx+1)*oc]
						if mult == 1 {
							mulAdd(dk, in, g)
						} else {
							spreadMulAdd(dk, in, g, mult)
						}
					}
				}
			}
		}
	})
	for _, part := range partials {
		if part != nil {
			addToParallel(dw, *part)
			putScratch(part)
		}
	}
}
