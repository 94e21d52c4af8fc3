package data

// orient returns src transformed as EXIF orientation o asks, so that the
// result is upright; dst receives the result and is returned (src itself for
// orientation 1). The transforms match Pillow's ImageOps.exif_transpose.
func orient(src, dst *RGB, o int) *RGB {
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.W, src.H
	if o >= 5 {
		dst.Reset(h, w)
	} else {
		dst.Reset(w, h)
	}
	dw, dh := dst.W, dst.H
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			var sx, sy int
			switch o {
			case 2: // mirror horizontally
				sx, sy = w-1-x, y
			case 3: // rotate 180
				sx, sy = w-1-x, h-1-y
			case 4: // mirror vertically
				sx, sy = x, h-1-y
			case 5: // transpose
				sx, sy = y, x
			case 6: // rotate 90 clockwise
				sx, sy = y, h-1-x
			case 7: // transverse
				sx, sy = w-1-y, h-1-x
			case 8: // rotate 90 counter-clockwise
				sx, sy = w-1-y, x
			}
			si, di := 3*(sy*w+sx), 3*(y*dw+x)
			dst.Pix[di], dst.Pix[di+1], dst.Pix[di+2] = src.Pix[si], src.Pix[si+1], src.Pix[si+2]
		}
	}
	return dst
}
