package data

import (
	"fmt"
	"image"
	"math"
)

// precisionBits is the fixed-point precision of Pillow's 8-bit resampler.
const precisionBits = 32 - 8 - 2

// axisCoeffs holds, for each output sample along one axis, the first input
// sample it reads, how many it reads and their fixed-point weights.
type axisCoeffs struct {
	start, count []int
	k            []int32 // ksize weights per output sample
	ksize        int
}

// bilinearFilter is the triangle filter of Pillow's BILINEAR (support 1).
func bilinearFilter(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return 1 - x
	}
	return 0
}

// compute fills c for resampling an axis of inSize samples to outSize,
// exactly as Pillow's precompute_coeffs and normalize_coeffs_8bpc do: the
// filter's support widens with the downscaling factor, which is what makes
// it antialias.
func (c *axisCoeffs) compute(inSize, outSize int) {
	scale := float64(inSize) / float64(outSize)
	filterscale := max(scale, 1)
	support := 1 * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	c.ksize = ksize
	c.start = grow(c.start, outSize)
	c.count = grow(c.count, outSize)
	c.k = grow(c.k, outSize*ksize)
	pre := make([]float64, ksize)
	ss := 1 / filterscale
	for xx := 0; xx < outSize; xx++ {
		center := (float64(xx) + 0.5) * scale
		xmin := int(center - support + 0.5) // C truncation, then clamped
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		ww := 0.0
		for x := 0; x < xmax; x++ {
			w := bilinearFilter((float64(x+xmin) - center + 0.5) * ss)
			pre[x] = w
			ww += w
		}
		k := c.k[xx*ksize : (xx+1)*ksize]
		for x := range k {
			v := 0.0
			if x < xmax {
				v = pre[x]
				if ww != 0 {
					v /= ww
				}
			}
			if v < 0 {
				k[x] = int32(-0.5 + v*(1<<precisionBits))
			} else {
				k[x] = int32(0.5 + v*(1<<precisionBits))
			}
		}
		c.start[xx], c.count[xx] = xmin, xmax
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func clip8(v int32) uint8 {
	if v >= 1<<precisionBits<<8 {
		return 255
	}
	if v <= 0 {
		return 0
	}
	return uint8(v >> precisionBits)
}

// Resizer resizes RGB images with Pillow's antialiased BILINEAR filter,
// reproducing Pillow 9's 8-bit results (horizontal pass, rounding, then
// vertical pass). It keeps scratch buffers between calls; a Resizer is not
// safe for concurrent use, so give each worker its own.
type Resizer struct {
	kx, ky axisCoeffs
	tmp    []uint8
	acc    []int32
}

// Resize treats the crop rectangle of src as a standalone image (as
// Pillow's crop followed by resize does), resizes it to outW×outH and writes
// into dst only the output window win (a rectangle within outW×outH), which
// equals resizing fully and then cropping win.
func (z *Resizer) Resize(src *RGB, crop image.Rectangle, outW, outH int, win image.Rectangle, dst *RGB) error {
	if err := src.validate(); err != nil {
		return err
	}
	if crop.Empty() || !crop.In(image.Rect(0, 0, src.W, src.H)) {
		return fmt.Errorf("data: resize: crop %v outside image %dx%d", crop, src.W, src.H)
	}
	if outW <= 0 || outH <= 0 {
		return fmt.Errorf("data: resize: empty output size %dx%d", outW, outH)
	}
	if win.Empty() || !win.In(image.Rect(0, 0, outW, outH)) {
		return fmt.Errorf("data: resize: window %v outside output %dx%d", win, outW, outH)
	}
	inW, inH := crop.Dx(), crop.Dy()
	dw, dh := win.Dx(), win.Dy()
	dst.Reset(dw, dh)
	needH, needV := inW != outW, inH != outH

	// Rows of the crop the vertical pass reads, for the rows of win.
	y0, y1 := win.Min.Y, win.Max.Y
	if needV {
		z.ky.compute(inH, outH)
		y0 = z.ky.start[win.Min.Y]
		y1 = z.ky.start[win.Max.Y-1] + z.ky.count[win.Max.Y-1]
	}
	// Horizontal pass (or plain copy of columns) into tmp: rows y0..y1 of
	// the crop, columns of win.
	rows := y1 - y0
	z.tmp = grow(z.tmp, rows*dw*3)
	tmp := z.tmp
	if needH {
		z.kx.compute(inW, outW)
		ks := z.kx.ksize
		for y := 0; y < rows; y++ {
			srow := src.Pix[3*((crop.Min.Y+y0+y)*src.W+crop.Min.X):]
			trow := tmp[3*y*dw:]
			for x := 0; x < dw; x++ {
				xx := win.Min.X + x
				xmin, n := z.kx.start[xx], z.kx.count[xx]
				k := z.kx.k[xx*ks : xx*ks+n]
				r, g, b := int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1))
				p := srow[3*xmin : 3*(xmin+n)]
				for i, w := range k {
					q := p[3*i : 3*i+3 : 3*i+3]
					r += int32(q[0]) * w
					g += int32(q[1]) * w
					b += int32(q[2]) * w
				}
				trow[3*x], trow[3*x+1], trow[3*x+2] = clip8(r), clip8(g), clip8(b)
			}
		}
	} else {
		for y := 0; y < rows; y++ {
			s := 3 * ((crop.Min.Y+y0+y)*src.W + crop.Min.X + win.Min.X)
			copy(tmp[3*y*dw:3*(y+1)*dw], src.Pix[s:s+3*dw])
		}
	}
	if !needV {
		copy(dst.Pix, tmp[:3*dw*dh])
		return nil
	}
	ks := z.ky.ksize
	stride := 3 * dw
	z.acc = grow(z.acc, stride)
	acc := z.acc
	for y := 0; y < dh; y++ {
		yy := win.Min.Y + y
		ymin, n := z.ky.start[yy]-y0, z.ky.count[yy]
		k := z.ky.k[yy*ks : yy*ks+n]
		for x := range acc {
			acc[x] = 1 << (precisionBits - 1)
		}
		// Row by row, so every pass reads memory in order.
		for i, w := range k {
			row := tmp[(ymin+i)*stride : (ymin+i+1)*stride]
			row = row[:len(acc)]
			for x, v := range row {
				acc[x] += int32(v) * w
			}
		}
		drow := dst.Pix[y*stride : (y+1)*stride]
		drow = drow[:len(acc)]
		for x, a := range acc {
			drow[x] = clip8(a)
		}
	}
	return nil
}
