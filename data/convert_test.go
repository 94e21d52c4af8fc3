package data

import (
	"image"
	"image/color"
	"testing"
)

func TestYCbCrToRGBMatchesStdlib(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	for _, ratio := range ratios {
		full := image.NewYCbCr(image.Rect(0, 0, 13, 11), ratio)
		for i := range full.Y {
			full.Y[i] = uint8(i * 37)
		}
		for i := range full.Cb {
			full.Cb[i], full.Cr[i] = uint8(i*53+7), uint8(255-i*29)
		}
		// A sub-image with odd offsets exercises the chroma indexing.
		m := full.SubImage(image.Rect(3, 1, 12, 10)).(*image.YCbCr)
		var got RGB
		toRGB(m, &got)
		for y := 0; y < 9; y++ {
			for x := 0; x < 9; x++ {
				c := m.YCbCrAt(x+3, y+1)
				wr, wg, wb := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				if r, g, b := got.At(x, y); r != wr || g != wg || b != wb {
					t.Fatalf("%v (%d,%d): %d,%d,%d want %d,%d,%d", ratio, x, y, r, g, b, wr, wg, wb)
				}
			}
		}
	}
}

func TestToRGBPremultipliedAndGeneric(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 2, 1))
	m.Pix = []uint8{100, 50, 0, 200, 10, 20, 30, 255}
	var got RGB
	toRGB(m, &got)
	// 100/200*255 = 127.5 -> 128; 50/200*255 = 63.75 -> 64.
	if r, g, b := got.At(0, 0); r != 128 || g != 64 || b != 0 {
		t.Fatalf("un-premultiplied %d,%d,%d want 128,64,0", r, g, b)
	}
	if r, g, b := got.At(1, 0); r != 10 || g != 20 || b != 30 {
		t.Fatalf("opaque %d,%d,%d want 10,20,30", r, g, b)
	}
	n := image.NewNRGBA64(image.Rect(0, 0, 1, 1))
	n.SetNRGBA64(0, 0, color.NRGBA64{0xabcd, 0x1234, 0xff00, 0x8000})
	toRGB(n, &got)
	if r, g, b := got.At(0, 0); r != 0xab || g != 0x12 || b != 0xff {
		t.Fatalf("16-bit %x,%x,%x want ab,12,ff", r, g, b)
	}
}
