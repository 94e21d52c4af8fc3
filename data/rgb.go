package data

import "fmt"

// RGB is an 8-bit, three-channel image stored row-major: the pixel at
// (x, y) occupies Pix[3*(y*W+x) : 3*(y*W+x)+3] as R, G, B. A zero RGB is an
// empty image; Reset reuses Pix when it is large enough, so one RGB can be
// decoded into again and again without allocating.
type RGB struct {
	W, H int
	Pix  []uint8
}

// NewRGB returns a black w×h image.
func NewRGB(w, h int) *RGB {
	m := &RGB{}
	m.Reset(w, h)
	return m
}

// Reset makes m a w×h image, reusing Pix's storage when it is large enough.
// The pixel values are unspecified afterwards.
func (m *RGB) Reset(w, h int) {
	n := 3 * w * h
	if cap(m.Pix) < n {
		m.Pix = make([]uint8, n)
	}
	m.W, m.H, m.Pix = w, h, m.Pix[:n]
}

// At returns the R, G, B values of the pixel at (x, y).
func (m *RGB) At(x, y int) (r, g, b uint8) {
	i := 3 * (y*m.W + x)
	return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
}

// Set sets the pixel at (x, y).
func (m *RGB) Set(x, y int, r, g, b uint8) {
	i := 3 * (y*m.W + x)
	m.Pix[i], m.Pix[i+1], m.Pix[i+2] = r, g, b
}

// CopyFrom makes m a copy of src, reusing m's storage.
func (m *RGB) CopyFrom(src *RGB) {
	m.Reset(src.W, src.H)
	copy(m.Pix, src.Pix)
}

// validate reports whether m's dimensions and storage agree.
func (m *RGB) validate() error {
	if m.W <= 0 || m.H <= 0 {
		return fmt.Errorf("data: empty image %dx%d", m.W, m.H)
	}
	if len(m.Pix) != 3*m.W*m.H {
		return fmt.Errorf("data: image %dx%d has %d bytes, want %d", m.W, m.H, len(m.Pix), 3*m.W*m.H)
	}
	return nil
}
