package demo

import (
	"testing"

	"github.com/graft-ml/graft/data"
)

// A 3x2 image whose pixels are numbered 1..6 row by row (all three
// channels alike), turned counter-clockwise:
//
//	1 2 3      3 6      6 5 4      4 1
//	4 5 6      2 5      3 2 1      5 2
//	           1 4                 6 3
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
		{2, 3, []uint8{3, 6, 2, 5, 1, 4}},
		{3, 2, []uint8{6, 5, 4, 3, 2, 1}},
		{2, 3, []uint8{4, 1, 5, 2, 6, 3}},
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
	base := Pick(fakeDataset{labels: []int{0, 1, 1}, names: []string{"a", "b"}}, []int{0, 1}, 0, 1)
	r := rotated{base}
	if r.Len() != 12 || len(r.ClassNames()) != 8 || r.ClassNames()[5] != "b/90" {
		t.Fatalf("len %d, classes %v", r.Len(), r.ClassNames())
	}
	for i := 0; i < r.Len(); i++ {
		if got, want := r.Label(i), 4*base.Label(i/4)+i%4; got != want {
			t.Errorf("label %d = %d, want %d", i, got, want)
		}
	}
	var img data.RGB
	if err := r.Load(5, &img); err != nil || img.W != 2 || img.H != 3 {
		t.Fatalf("sample 5 (a quarter turn of a 3x2 image): %dx%d, %v", img.W, img.H, err)
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
