package data

import (
	"math"
	"slices"
	"testing"
)

// gradientImage returns a w×h image whose pixels all differ.
func gradientImage(w, h int) *RGB {
	m := NewRGB(w, h)
	for y := range h {
		for x := range w {
			m.Set(x, y, uint8(x*255/(w-1)), uint8(y*255/(h-1)), uint8((x*7+y*13)%256))
		}
	}
	return m
}

func TestRandomResizedCropRect(t *testing.T) {
	c := RandomResizedCrop{}
	r := newRand(5)
	for range 1000 {
		rc := c.rect(200, 100, r)
		if rc.Min.X < 0 || rc.Min.Y < 0 || rc.Max.X > 200 || rc.Max.Y > 100 || rc.Empty() {
			t.Fatalf("crop %v outside 200x100", rc)
		}
		area := float64(rc.Dx()*rc.Dy()) / 20000
		aspect := float64(rc.Dx()) / float64(rc.Dy())
		// Rounding to whole pixels can move these a little past the bounds.
		if area < 0.07 || area > 1.0 || aspect < 0.7 || aspect > 1.42 {
			t.Fatalf("crop %v: area fraction %.3f aspect %.3f", rc, area, aspect)
		}
	}
	// Scale and ratio pinned to 1 on a square image: the whole image.
	full := RandomResizedCrop{Scale: [2]float64{1, 1}, Ratio: [2]float64{1, 1}}
	if rc := full.rect(40, 40, r); rc.Dx() != 40 || rc.Dy() != 40 {
		t.Fatalf("full crop %v", rc)
	}
	// Impossible ratio: falls back to a centred crop clamped to the ratio.
	wide := RandomResizedCrop{Scale: [2]float64{1, 1}, Ratio: [2]float64{2, 2}}
	if rc := wide.rect(40, 40, r); rc.Dx() != 40 || rc.Dy() != 20 || rc.Min.Y != 10 {
		t.Fatalf("fallback crop %v, want 40x20 at y=10", rc)
	}
}

func transformOnce(t *testing.T, tr Transform, src *RGB, seed uint64) []float32 {
	t.Helper()
	out := make([]float32, tr.Pre.Numel())
	var s Scratch
	if err := tr.Apply(&s, src, seed, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAugmentFlips(t *testing.T) {
	src := gradientImage(8, 6)
	pre := Preprocess{Height: 6, Width: 8, Resize: ResizeSquash, Scale: ScaleUnit}
	plain := transformOnce(t, Transform{Pre: pre}, src, 1)
	h := transformOnce(t, Transform{Pre: pre, Aug: &Augment{HFlip: 1}}, src, 1)
	v := transformOnce(t, Transform{Pre: pre, Aug: &Augment{VFlip: 1}}, src, 1)
	for y := range 6 {
		for x := range 8 {
			for c := range 3 {
				want := plain[3*(y*8+x)+c]
				if got := h[3*(y*8+7-x)+c]; math.Abs(float64(got-want)) > 1e-6 {
					t.Fatalf("hflip (%d,%d,%d) = %v, want %v", x, y, c, got, want)
				}
				if got := v[3*((5-y)*8+x)+c]; math.Abs(float64(got-want)) > 1e-6 {
					t.Fatalf("vflip (%d,%d,%d) = %v, want %v", x, y, c, got, want)
				}
			}
		}
	}
	// Probability 0.5: over many seeds, about half flip.
	flipped := 0
	for seed := range uint64(200) {
		if slices.Equal(transformOnce(t, Transform{Pre: pre, Aug: &Augment{HFlip: 0.5}}, src, seed), h) {
			flipped++
		}
	}
	if flipped < 70 || flipped > 130 {
		t.Errorf("flipped %d of 200 at p = 0.5", flipped)
	}
}

func TestRotate(t *testing.T) {
	w := 5
	src := make([]float32, 3*w*w)
	for i := range src {
		src[i] = float32(i) / float32(len(src))
	}
	dst := make([]float32, len(src))
	fill := [3]float32{0.25, 0.5, 0.75}
	rotate(src, dst, w, w, 0, fill)
	if !slices.Equal(src, dst) {
		t.Fatal("rotation by 0 changed the image")
	}
	// 90° counter-clockwise: dst(x, y) = src(w-1-y, x).
	rotate(src, dst, w, w, 90, fill)
	for y := range w {
		for x := range w {
			for c := range 3 {
				got, want := dst[3*(y*w+x)+c], src[3*(x*w+w-1-y)+c]
				if math.Abs(float64(got-want)) > 1e-5 {
					t.Fatalf("rot90 (%d,%d,%d) = %v, want %v", x, y, c, got, want)
				}
			}
		}
	}
	// 45°: the corners fall outside the source and take the fill colour.
	rotate(src, dst, w, w, 45, fill)
	if dst[0] != 0.25 || dst[1] != 0.5 || dst[2] != 0.75 {
		t.Fatalf("corner after 45° = %v, want fill", dst[:3])
	}
}

func TestShiftHue(t *testing.T) {
	cases := []struct {
		in    [3]float32
		shift float32
		want  [3]float32
	}{
		{[3]float32{1, 0, 0}, 1.0 / 3, [3]float32{0, 1, 0}},
		{[3]float32{1, 0.5, 0}, 0.5, [3]float32{0, 0.5, 1}},
		{[3]float32{0, 0, 1}, 1.0 / 3, [3]float32{1, 0, 0}},
		{[3]float32{0.3, 0.3, 0.3}, 0.2, [3]float32{0.3, 0.3, 0.3}},
		{[3]float32{0.2, 0.6, 0.4}, 0, [3]float32{0.2, 0.6, 0.4}},
		{[3]float32{0.9, 0.1, 0.5}, -0.1, [3]float32{0.82, 0.1, 0.9}}, // hue 0.9167 -> 0.8167, sector 4
	}
	for _, c := range cases {
		px := c.in[:]
		px = slices.Clone(px)
		shiftHue(px, c.shift)
		for k := range 3 {
			if math.Abs(float64(px[k]-c.want[k])) > 1e-5 {
				t.Errorf("hue %v by %v = %v, want %v", c.in, c.shift, px, c.want)
				break
			}
		}
	}
}

func TestColorJitterBrightnessAndSaturation(t *testing.T) {
	px := []float32{0.2, 0.4, 0.6, 0.1, 0.1, 0.1}
	b := slices.Clone(px)
	ColorJitter{Brightness: 0.5}.apply(b, newRand(3))
	f := b[0] / px[0]
	if f < 0.5 || f > 1.5 {
		t.Fatalf("brightness factor %v outside [0.5, 1.5]", f)
	}
	for i := range px {
		if math.Abs(float64(b[i]-min(px[i]*f, 1))) > 1e-6 {
			t.Fatalf("pixel value %d: %v, want %v × %v", i, b[i], px[i], f)
		}
	}
	// Saturation factor in [0, 2]: the grey of each pixel is preserved when unclamped.
	s := slices.Clone(px)
	ColorJitter{Saturation: 0.2}.apply(s, newRand(4))
	if g0, g1 := grey(px[0], px[1], px[2]), grey(s[0], s[1], s[2]); math.Abs(float64(g0-g1)) > 1e-5 {
		t.Fatalf("saturation changed luminance %v -> %v", g0, g1)
	}
	if math.Abs(float64(s[3]-px[3])) > 1e-6 {
		t.Fatalf("saturation changed a grey pixel: %v -> %v", px[3], s[3])
	}
	if s[0] == px[0] {
		t.Fatal("saturation jitter left a coloured pixel unchanged")
	}
}

func TestTransformDeterministic(t *testing.T) {
	src := gradientImage(40, 30)
	tr := Transform{
		Pre: TorchvisionPreprocess(16),
		Aug: &Augment{Crop: &RandomResizedCrop{}, HFlip: 0.5, Rotation: 15, Jitter: ColorJitter{0.4, 0.4, 0.4, 0.1}},
	}
	a, b := transformOnce(t, tr, src, 77), transformOnce(t, tr, src, 77)
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different results")
	}
	if slices.Equal(a, transformOnce(t, tr, src, 78)) {
		t.Fatal("different seeds, same result")
	}
	if err := (Transform{Pre: tr.Pre, Aug: &Augment{HFlip: 2}}).Validate(); err == nil {
		t.Fatal("flip probability 2 validated")
	}
}
