package data

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
)

// RandomResizedCrop is torchvision's RandomResizedCrop: crop a random area
// (a Scale fraction of the image, aspect ratio within Ratio, sampled
// log-uniformly) and resize it to the model's input size. Zero fields take
// torchvision's defaults, Scale (0.08, 1) and Ratio (3/4, 4/3).
type RandomResizedCrop struct {
	Scale [2]float64
	Ratio [2]float64
}

func (c RandomResizedCrop) params() (scale, ratio [2]float64) {
	scale, ratio = c.Scale, c.Ratio
	if scale == ([2]float64{}) {
		scale = [2]float64{0.08, 1}
	}
	if ratio == ([2]float64{}) {
		ratio = [2]float64{3.0 / 4, 4.0 / 3}
	}
	return scale, ratio
}

// rect picks the crop for a w×h image as torchvision's get_params does:
// ten tries at a random area and aspect ratio, then a centre crop clamped
// to the ratio range.
func (c RandomResizedCrop) rect(w, h int, r *rand.Rand) image.Rectangle {
	scale, ratio := c.params()
	area := float64(w * h)
	lo, hi := math.Log(ratio[0]), math.Log(ratio[1])
	for range 10 {
		target := area * (scale[0] + r.Float64()*(scale[1]-scale[0]))
		aspect := math.Exp(lo + r.Float64()*(hi-lo))
		cw := int(math.RoundToEven(math.Sqrt(target * aspect)))
		ch := int(math.RoundToEven(math.Sqrt(target / aspect)))
		if cw > 0 && cw <= w && ch > 0 && ch <= h {
			top := r.IntN(h - ch + 1)
			left := r.IntN(w - cw + 1)
			return image.Rect(left, top, left+cw, top+ch)
		}
	}
	inRatio := float64(w) / float64(h)
	cw, ch := w, h
	if inRatio < ratio[0] {
		ch = max(1, int(math.RoundToEven(float64(cw)/ratio[0])))
	} else if inRatio > ratio[1] {
		cw = max(1, int(math.RoundToEven(float64(ch)*ratio[1])))
	}
	top, left := (h-ch)/2, (w-cw)/2
	return image.Rect(left, top, left+cw, top+ch)
}

// ColorJitter randomly changes brightness, contrast and saturation by a
// factor drawn from [max(0, 1-x), 1+x], and hue by a shift drawn from
// [-Hue, Hue] (at most 0.5), applied in a random order, as torchvision's
// ColorJitter does on tensors. Zero fields leave that property alone.
type ColorJitter struct {
	Brightness, Contrast, Saturation, Hue float64
}

func (j ColorJitter) active() bool {
	return j.Brightness > 0 || j.Contrast > 0 || j.Saturation > 0 || j.Hue > 0
}

// Augment is a training-time augmentation, applied before the model's
// scaling and reproducible from a per-sample seed. The order is
// torchvision's usual one: random resized crop (replacing the
// preprocessing's resize policy), flips, rotation, colour jitter.
type Augment struct {
	Crop     *RandomResizedCrop // nil: use the preprocessing's resize policy
	HFlip    float64            // probability of a horizontal flip
	VFlip    float64            // probability of a vertical flip
	Rotation float64            // rotate by an angle uniform in [-Rotation, Rotation] degrees, bilinear
	Fill     [3]uint8           // colour of the corners rotation exposes
	Jitter   ColorJitter
}

// Validate reports whether a's parameters are in range.
func (a *Augment) Validate() error {
	if a == nil {
		return nil
	}
	if a.Crop != nil {
		s, r := a.Crop.params()
		if !(s[0] > 0 && s[0] <= s[1] && s[1] <= 1) {
			return fmt.Errorf("data: augment: crop scale %v must satisfy 0 < lo <= hi <= 1", s)
		}
		if !(r[0] > 0 && r[0] <= r[1]) {
			return fmt.Errorf("data: augment: crop ratio %v must satisfy 0 < lo <= hi", r)
		}
	}
	for _, p := range []float64{a.HFlip, a.VFlip} {
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("data: augment: flip probability %v outside [0, 1]", p)
		}
	}
	if !(a.Rotation >= 0 && a.Rotation <= 180) {
		return fmt.Errorf("data: augment: rotation %v outside [0, 180] degrees", a.Rotation)
	}
	j := a.Jitter
	if !(j.Brightness >= 0 && j.Contrast >= 0 && j.Saturation >= 0) {
		return fmt.Errorf("data: augment: jitter %+v has a negative factor", j)
	}
	if !(j.Hue >= 0 && j.Hue <= 0.5) {
		return fmt.Errorf("data: augment: hue jitter %v outside [0, 0.5]", j.Hue)
	}
	return nil
}

// flipH mirrors an HWC float image left to right in place.
func flipH(px []float32, w, h int) {
	for y := range h {
		row := px[3*y*w : 3*(y+1)*w]
		for l, r := 0, w-1; l < r; l, r = l+1, r-1 {
			row[3*l], row[3*r] = row[3*r], row[3*l]
			row[3*l+1], row[3*r+1] = row[3*r+1], row[3*l+1]
			row[3*l+2], row[3*r+2] = row[3*r+2], row[3*l+2]
		}
	}
}

// flipV mirrors an HWC float image top to bottom in place.
func flipV(px []float32, w, h int) {
	s := 3 * w
	for t, b := 0, h-1; t < b; t, b = t+1, b-1 {
		rt, rb := px[t*s:(t+1)*s], px[b*s:(b+1)*s]
		for i := range rt {
			rt[i], rb[i] = rb[i], rt[i]
		}
	}
}

// rotate turns src (HWC floats in [0, 1]) by deg degrees counter-clockwise
// about its centre into dst, sampling bilinearly; points that fall outside
// the source take fill. This is Pillow's rotate(deg, BILINEAR, fillcolor).
func rotate(src, dst []float32, w, h int, deg float64, fill [3]float32) {
	phi := -deg * math.Pi / 180
	cos, sin := math.Cos(phi), math.Sin(phi)
	cx, cy := float64(w)/2, float64(h)/2
	for y := range h {
		for x := range w {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			sx := cos*dx + sin*dy + cx
			sy := -sin*dx + cos*dy + cy
			o := 3 * (y*w + x)
			if sx < 0 || sy < 0 || sx >= float64(w) || sy >= float64(h) {
				dst[o], dst[o+1], dst[o+2] = fill[0], fill[1], fill[2]
				continue
			}
			fx, fy := sx-0.5, sy-0.5
			x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
			ax, ay := float32(fx-float64(x0)), float32(fy-float64(y0))
			x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
			x0, y0 = max(x0, 0), max(y0, 0)
			p00, p01 := 3*(y0*w+x0), 3*(y0*w+x1)
			p10, p11 := 3*(y1*w+x0), 3*(y1*w+x1)
			for c := range 3 {
				top := src[p00+c] + ax*(src[p01+c]-src[p00+c])
				bot := src[p10+c] + ax*(src[p11+c]-src[p10+c])
				dst[o+c] = top + ay*(bot-top)
			}
		}
	}
}

func clamp01(v float32) float32 { return min(max(v, 0), 1) }

func grey(r, g, b float32) float32 { return 0.2989*r + 0.587*g + 0.114*b }

// jitter applies a colour jitter drawn from r to px (HWC floats in [0, 1]).
func (j ColorJitter) apply(px []float32, r *rand.Rand) {
	order := r.Perm(4)
	factor := func(x float64) float64 { return max(0, 1-x) + r.Float64()*(1+x-max(0, 1-x)) }
	var bf, cf, sf, hf float64 = 1, 1, 1, 0
	if j.Brightness > 0 {
		bf = factor(j.Brightness)
	}
	if j.Contrast > 0 {
		cf = factor(j.Contrast)
	}
	if j.Saturation > 0 {
		sf = factor(j.Saturation)
	}
	if j.Hue > 0 {
		hf = -j.Hue + r.Float64()*2*j.Hue
	}
	for _, op := range order {
		switch {
		case op == 0 && j.Brightness > 0:
			f := float32(bf)
			for i := range px {
				px[i] = clamp01(px[i] * f)
			}
		case op == 1 && j.Contrast > 0:
			var sum float64
			for i := 0; i < len(px); i += 3 {
				sum += float64(grey(px[i], px[i+1], px[i+2]))
			}
			mean := float32(sum / float64(len(px)/3))
			f := float32(cf)
			for i := range px {
				px[i] = clamp01(f*px[i] + (1-f)*mean)
			}
		case op == 2 && j.Saturation > 0:
			f := float32(sf)
			for i := 0; i < len(px); i += 3 {
				g := (1 - f) * grey(px[i], px[i+1], px[i+2])
				px[i] = clamp01(f*px[i] + g)
				px[i+1] = clamp01(f*px[i+1] + g)
				px[i+2] = clamp01(f*px[i+2] + g)
			}
		case op == 3 && j.Hue > 0:
			shiftHue(px, float32(hf))
		}
	}
}

// shiftHue adds shift (in turns) to every pixel's hue, through HSV as
// torchvision's adjust_hue does.
func shiftHue(px []float32, shift float32) {
	for i := 0; i < len(px); i += 3 {
		r, g, b := px[i], px[i+1], px[i+2]
		maxc, minc := max(r, g, b), min(r, g, b)
		v := maxc
		d := maxc - minc
		if d == 0 {
			continue // grey: hue undefined, unchanged
		}
		s := d / maxc
		var h float32
		switch maxc {
		case r:
			h = (g - b) / d
		case g:
			h = 2 + (b-r)/d
		default:
			h = 4 + (r-g)/d
		}
		h = h/6 + shift
		h -= float32(math.Floor(float64(h)))
		h6 := h * 6
		sector := int(h6) % 6
		f := h6 - float32(int(h6))
		p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
		switch sector {
		case 0:
			r, g, b = v, t, p
		case 1:
			r, g, b = q, v, p
		case 2:
			r, g, b = p, v, t
		case 3:
			r, g, b = p, q, v
		case 4:
			r, g, b = t, p, v
		default:
			r, g, b = v, p, q
		}
		px[i], px[i+1], px[i+2] = clamp01(r), clamp01(g), clamp01(b)
	}
}
