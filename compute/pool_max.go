package compute

import "math"

// MaxPool2D writes each window's per-channel maximum to y and the position
// it came from to argmax: the offset ((iy*InW+ix)*C + c) of the input value
// within its image. A NaN in a window wins, as in PyTorch. y and argmax hold
// Batch*OutH*OutW*C values; p must pass Validate.
func MaxPool2D(p PoolParams, x, y []float32, argmax []int32) {
	oh, ow, c := p.OutH(), p.OutW(), p.C
	img := p.InH * p.InW * c
	ParallelFor(p.Batch*oh, 1, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			n, oy := r/oh, r%oh
			src := x[n*img : (n+1)*img]
			for ox := 0; ox < ow; ox++ {
				o := (r*ow + ox) * c
				out, idx := y[o:o+c], argmax[o:o+c]
				for i := range out {
					out[i] = float32(math.Inf(-1))
					idx[i] = -1
				}
				y0, y1, x0, x1 := p.window(oy, ox)
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						base := (iy*p.InW + ix) * c
						in := src[base : base+c]
						for i, v := range in {
							if v > out[i] || idx[i] < 0 || v != v {
								if out[i] == out[i] { // keep the first NaN
									out[i], idx[i] = v, int32(base+i)
								}
							}
						}
					}
				}
			}
		}
	})
}

// MaxPool2DBackward overwrites dx with the gradient of max pooling: each
// dy goes to the input that argmax recorded for it.
func MaxPool2DBackward(p PoolParams, dy []float32, argmax []int32, dx []float32) {
	per := p.OutH() * p.OutW() * p.C
	img := p.InH * p.InW * p.C
	ParallelFor(p.Batch, 1, func(n0, n1 int) {
		for n := n0; n < n1; n++ {
			out := dx[n*img : (n+1)*img]
			clear(out)
			idx := argmax[n*per : (n+1)*per]
			for i, g := range dy[n*per : (n+1)*per] {
				out[idx[i]] += g
			}
		}
	})
}
