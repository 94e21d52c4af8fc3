package demo

import (
	"testing"

	"github.com/graft-ml/graft/data"
)

// A 3x2 image whose pixels are numbered 1..6 row by row (all three
// channels alike), turned clockwise:
//
//	1 2 3      4 1      6 5 4      3 6
//	4 5 6      5 2      3 2 1      2 5
//	           6 3                 1 4
func TestRotateQuarter(t *testing.T) {
	src := &data.RGB{W: 3, H: 2}
	for v := 1; v <= 6; v++ {
		src.Pix = append(src.Pix, uint8(v), uint8(v), uint8(v))
	}
	want := []struct {
		w, h int
		pix  []uint8
	}{
		{3, 2, []uint8{1, 2, 3, 4, 5, 6}},
		{2, 3, []uint8{4, 1, 5, 2, 6, 3}},
		{3, 2, []uint8{6, 5, 4, 3, 2, 1}},
		{2, 3, []uint8{3, 6, 2, 5, 1, 4}},
	}
	for k, w := range want {
		var dst data.RGB
		rotateQuarter(src, k, &dst)
		if dst.W != w.w || dst.H != w.h || len(dst.Pix) != 3*len(w.pix) {
			t.Fatalf("k=%d: %dx%d with %d bytes, want %dx%d", k, dst.W, dst.H, len(dst.Pix), w.w, w.h)
		}
		for i, v := range w.pix {
			if dst.Pix[3*i] != v || dst.Pix[3*i+1] != v || dst.Pix[3*i+2] != v {
				t.Fatalf("k=%d: pixels %v, want %v (one value per pixel)", k, dst.Pix, w.pix)
			}
		}
	}
}

func TestRotatedDatasetLabels(t *testing.T) {
	base := fakeDataset{labels: []int{0, 1, 1}, names: []string{"a", "b"}}
	r := rotated{base}
	if r.Len() != 12 || len(r.ClassNames()) != 8 || r.ClassNames()[5] != "b/90" {
		t.Fatalf("len %d, classes %v", r.Len(), r.ClassNames())
	}
	// Base labels 0, 1, 1: each image's four turns get 4·label + turns.
	want := []int{0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7}
	for i, w := range want {
		if got := r.Label(i); got != w {
			t.Errorf("label %d = %d, want %d", i, got, w)
		}
	}
	// Sample 5 is base image 1 (bytes 18..35, one value per channel) turned
	// once: its first pixel is the base's bottom-left one (pixel 3).
	var img data.RGB
	if err := r.Load(5, &img); err != nil || img.W != 2 || img.H != 3 {
		t.Fatalf("sample 5 (a quarter turn of a 3x2 image): %dx%d, %v", img.W, img.H, err)
	}
	if img.Pix[0] != 18+9 || img.Pix[3] != 18 {
		t.Errorf("sample 5 starts with pixels %v, want bytes 27 and 18 (base pixels 3 and 0)", img.Pix[:6])
	}
}

// fakeDataset is a labelled set of 3x2 grey images.
type fakeDataset struct {
	labels []int
	names  []string
}

func (f fakeDataset) Len() int             { return len(f.labels) }
func (f fakeDataset) Label(i int) int      { return f.labels[i] }
func (f fakeDataset) ClassNames() []string { return f.names }
func (f fakeDataset) Load(i int, dst *data.RGB) error {
	dst.W, dst.H = 3, 2
	dst.Pix = make([]uint8, 18)
	for j := range dst.Pix {
		dst.Pix[j] = uint8(i*18 + j)
	}
	return nil
}
