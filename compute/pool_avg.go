package compute

// AvgPool2D writes each window's per-channel mean to y, dividing as
// p.CountIncludePad says. y holds Batch*OutH*OutW*C values; p must pass
// Validate.
func AvgPool2D(p PoolParams, x, y []float32) {
	oh, ow, c := p.OutH(), p.OutW(), p.C
	img := p.InH * p.InW * c
	ParallelFor(p.Batch*oh, 1, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			n, oy := r/oh, r%oh
			src := x[n*img : (n+1)*img]
			for ox := 0; ox < ow; ox++ {
				out := y[(r*ow+ox)*c : (r*ow+ox+1)*c]
				clear(out)
				y0, y1, x0, x1 := p.window(oy, ox)
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						addTo(out, src[(iy*p.InW+ix)*c:(iy*p.InW+ix+1)*c])
					}
				}
				inv := 1 / float32(p.divisor(y0, y1, x0, x1))
				for i := range out {
					out[i] *= inv
				}
			}
		}
	})
}

// divisor is the count an average over the clipped window divides by.
func (p PoolParams) divisor(y0, y1, x0, x1 int) int {
	if p.CountIncludePad {
		return p.KH * p.KW
	}
	return (y1 - y0) * (x1 - x0)
}

// AvgPool2DBackward overwrites dx with the gradient of average pooling:
// each dy, divided as the forward pass divided, spreads over its window.
func AvgPool2DBackward(p PoolParams, dy, dx []float32) {
	oh, ow, c := p.OutH(), p.OutW(), p.C
	img := p.InH * p.InW * c
	ParallelFor(p.Batch, 1, func(n0, n1 int) {
		buf := getScratch(c)
		defer putScratch(buf)
		g := *buf
		for n := n0; n < n1; n++ {
			dst := dx[n*img : (n+1)*img]
			clear(dst)
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					y0, y1, x0, x1 := p.window(oy, ox)
					inv := 1 / float32(p.divisor(y0, y1, x0, x1))
					o := ((n*oh+oy)*ow + ox) * c
					for i, v := range dy[o : o+c] {
						g[i] = v * inv
					}
					for iy := y0; iy < y1; iy++ {
						for ix := x0; ix < x1; ix++ {
							addTo(dst[(iy*p.InW+ix)*c:(iy*p.InW+ix+1)*c], g)
						}
					}
				}
			}
		}
	})
}
