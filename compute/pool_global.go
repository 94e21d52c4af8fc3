package compute

import "math"

// Global pooling reduces each image's H*W pixels to one value per channel:
// x is batch×hw×c (NHWC with H and W flattened), y is batch×c.

// GlobalAvgPool writes each image's per-channel mean over its hw pixels to y.
func GlobalAvgPool(batch, hw, c int, x, y []float32) {
	ParallelFor(batch, 1, func(n0, n1 int) {
		for n := n0; n < n1; n++ {
			out := y[n*c : (n+1)*c]
			channelSumSerial(out, x[n*hw*c:(n+1)*hw*c])
			inv := 1 / float32(hw)
			for i := range out {
				out[i] *= inv
			}
		}
	})
}

// GlobalAvgPoolBackward overwrites dx with dy[n][c]/hw at every pixel.
func GlobalAvgPoolBackward(batch, hw, c int, dy, dx []float32) {
	inv := 1 / float32(hw)
	ParallelFor(batch*hw, max(elementwiseGrain/c, 1), func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			g, out := dy[(r/hw)*c:(r/hw+1)*c], dx[r*c:(r+1)*c]
			for i := range out {
				out[i] = g[i] * inv
			}
		}
	})
}

// GlobalMaxPool writes each image's per-channel maximum to y and its pixel
// offset (pixel*c + channel, within the image) to argmax; a NaN wins.
func GlobalMaxPool(batch, hw, c int, x, y []float32, argmax []int32) {
	ParallelFor(batch, 1, func(n0, n1 int) {
		for n := n0; n < n1; n++ {
			out, idx := y[n*c:(n+1)*c], argmax[n*c:(n+1)*c]
			for i := range out {
				out[i], idx[i] = float32(math.Inf(-1)), -1
			}
			src := x[n*hw*c : (n+1)*hw*c]
			for px := 0; px < hw; px++ {
				in := src[px*c : (px+1)*c]
				for i, v := range in {
					if (v > out[i] || idx[i] < 0 || v != v) && out[i] == out[i] {
						out[i], idx[i] = v, int32(px*c+i)
					}
				}
			}
		}
	})
}

// GlobalMaxPoolBackward overwrites dx with zeros except dy at each argmax.
func GlobalMaxPoolBackward(batch, hw, c int, dy []float32, argmax []int32, dx []float32) {
	ParallelFor(batch, 1, func(n0, n1 int) {
		for n := n0; n < n1; n++ {
			out := dx[n*hw*c : (n+1)*hw*c]
			clear(out)
			for i, g := range dy[n*c : (n+1)*c] {
				out[argmax[n*c+i]] += g
			}
		}
	})
}
