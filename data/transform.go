package data

import (
	"fmt"
	"image"
)

// Transform turns one decoded image into network input: an optional
// augmentation followed by the model's preprocessing.
type Transform struct {
	Pre Preprocess
	Aug *Augment // nil for evaluation
}

// Validate checks both parts.
func (t Transform) Validate() error {
	if err := t.Pre.Validate(); err != nil {
		return err
	}
	return t.Aug.Validate()
}

// Scratch holds the buffers a Transform reuses between images. Each
// goroutine needs its own.
type Scratch struct {
	z        Resizer
	geo      RGB
	buf, tmp []float32
}

// Apply writes src, transformed, into dst (Pre.Numel() float32 values,
// HWC). seed drives every random choice of the augmentation, so the same
// seed gives the same result wherever and whenever it runs; derive it with
// DeriveSeed from a base seed, the epoch and the sample index.
func (t Transform) Apply(s *Scratch, src *RGB, seed uint64, dst []float32) error {
	p := t.Pre
	if len(dst) < p.Numel() {
		return fmt.Errorf("data: transform: buffer holds %d values, need %d", len(dst), p.Numel())
	}
	if err := src.validate(); err != nil {
		return fmt.Errorf("data: transform: %w", err)
	}
	a := t.Aug
	if a == nil {
		return p.Apply(&s.z, src, &s.geo, dst)
	}
	r := newRand(DeriveSeed(seed, streamAugment))
	if a.Crop != nil {
		crop := a.Crop.rect(src.W, src.H, r)
		if err := s.z.Resize(src, crop, p.Width, p.Height, image.Rect(0, 0, p.Width, p.Height), &s.geo); err != nil {
			return err
		}
	} else if err := p.Geometry(&s.z, src, &s.geo); err != nil {
		return err
	}
	w, h, n := p.Width, p.Height, p.Numel()
	s.buf = grow(s.buf, n)
	buf := s.buf
	for i, v := range s.geo.Pix {
		buf[i] = float32(v) * (1.0 / 255)
	}
	if a.HFlip > 0 && r.Float64() < a.HFlip {
		flipH(buf, w, h)
	}
	if a.VFlip > 0 && r.Float64() < a.VFlip {
		flipV(buf, w, h)
	}
	if a.Rotation > 0 {
		deg := -a.Rotation + r.Float64()*2*a.Rotation
		s.tmp = grow(s.tmp, n)
		fill := [3]float32{float32(a.Fill[0]) / 255, float32(a.Fill[1]) / 255, float32(a.Fill[2]) / 255}
		rotate(buf, s.tmp, w, h, deg, fill)
		buf, s.tmp = s.tmp, buf
		s.buf = buf
	}
	if a.Jitter.active() {
		a.Jitter.apply(buf, r)
	}
	return p.NormalizeUnit(buf, dst)
}
