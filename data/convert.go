package data

import (
	"image"
	"image/color"
)

// toRGB converts any image to 8-bit RGB, dropping alpha, with fast paths
// for the types the standard decoders return.
func toRGB(img image.Image, dst *RGB) {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	dst.Reset(w, h)
	p := dst.Pix
	switch m := img.(type) {
	case *image.YCbCr:
		ycbcrToRGB(m, p)
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			o := 3 * y * w
			for _, v := range row {
				p[o], p[o+1], p[o+2] = v, v, v
				o += 3
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			o := 3 * y * w
			for x := 0; x < w; x++ {
				p[o], p[o+1], p[o+2] = row[4*x], row[4*x+1], row[4*x+2]
				o += 3
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			o := 3 * y * w
			for x := 0; x < w; x++ {
				r, g, b, a := row[4*x], row[4*x+1], row[4*x+2], row[4*x+3]
				if a != 0xff && a != 0 { // un-premultiply
					r = unpremultiply(r, a)
					g = unpremultiply(g, a)
					b = unpremultiply(b, a)
				}
				p[o], p[o+1], p[o+2] = r, g, b
				o += 3
			}
		}
	case *image.Paletted:
		pal := make([][3]uint8, 256)
		for i, c := range m.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			pal[i] = [3]uint8{n.R, n.G, n.B}
		}
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			o := 3 * y * w
			for _, v := range row {
				c := pal[v]
				p[o], p[o+1], p[o+2] = c[0], c[1], c[2]
				o += 3
			}
		}
	case *image.CMYK:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			o := 3 * y * w
			for x := 0; x < w; x++ {
				p[o], p[o+1], p[o+2] = color.CMYKToRGB(row[4*x], row[4*x+1], row[4*x+2], row[4*x+3])
				o += 3
			}
		}
	default:
		// RGBA (premultiplied), 16-bit and anything else: un-premultiply
		// through NRGBA64 and keep the high byte.
		o := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				c := color.NRGBA64Model.Convert(img.At(x, y)).(color.NRGBA64)
				p[o], p[o+1], p[o+2] = uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8)
				o += 3
			}
		}
	}
}

// unpremultiply undoes alpha premultiplication of one 8-bit channel.
func unpremultiply(v, a uint8) uint8 {
	x := (uint32(v)*0xff + uint32(a)/2) / uint32(a)
	return uint8(min(x, 0xff))
}

// chromaDivisors returns how many luma samples share a chroma sample
// horizontally and vertically.
func chromaDivisors(r image.YCbCrSubsampleRatio) (h, v int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

// ycbcrToRGB converts row by row with the same integer arithmetic as
// color.YCbCrToRGB (so results equal image/draw's), without the per-pixel
// offset calls.
func ycbcrToRGB(m *image.YCbCr, p []uint8) {
	r := m.Rect
	w := r.Dx()
	hd, vd := chromaDivisors(m.SubsampleRatio)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		yrow := m.Y[(y-r.Min.Y)*m.YStride:]
		cbase := (y/vd - r.Min.Y/vd) * m.CStride
		cb, cr := m.Cb[cbase:], m.Cr[cbase:]
		out := p[3*(y-r.Min.Y)*w : 3*(y-r.Min.Y+1)*w]
		for x := 0; x < w; x++ {
			ci := (x+r.Min.X)/hd - r.Min.X/hd
			yy1 := int32(yrow[x]) * 0x10101
			cb1 := int32(cb[ci]) - 128
			cr1 := int32(cr[ci]) - 128
			out[3*x] = clampYCbCr(yy1 + 91881*cr1)
			out[3*x+1] = clampYCbCr(yy1 - 22554*cb1 - 46802*cr1)
			out[3*x+2] = clampYCbCr(yy1 + 116130*cb1)
		}
	}
}

// clampYCbCr turns a 16.16 fixed-point channel into 8 bits, saturating as
// color.YCbCrToRGB does.
func clampYCbCr(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}
