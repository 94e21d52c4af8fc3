package train

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"path/filepath"

	"github.com/graft-ml/graft/data"
)

// thumbSize is the longest side of a report thumbnail in pixels.
const thumbSize = 128

// thumbnail is one badly predicted image for the report.
type thumbnail struct {
	JPEG         []byte
	Name         string // file name, when the dataset knows it
	True, Pred   string
	PTrue, PPred float64
}

// SamplePather is a dataset that knows the file of each sample; reports
// show the file names of their worst predictions.
type SamplePather interface {
	SamplePath(i int) string
}

// samplePath returns the file of sample i of ds, or "" when unknown.
func samplePath(ds data.Dataset, i int) string {
	switch d := ds.(type) {
	case SamplePather:
		return d.SamplePath(i)
	case *data.FileDataset:
		if i >= 0 && i < len(d.Paths) {
			return d.Paths[i]
		}
	case *data.SubsetDataset:
		if i >= 0 && i < len(d.Indices) {
			return samplePath(d.Base, d.Indices[i])
		}
	}
	return ""
}

// worstThumbnails loads the n samples with the lowest probability on their
// true class and shrinks each to a JPEG thumbnail.
func worstThumbnails(ds data.Dataset, ev *Evaluation, n int) ([]thumbnail, error) {
	classes := ev.Confusion.Classes
	var out []thumbnail
	var img data.RGB
	for _, s := range ev.Worst(n) {
		if s.Index < 0 || s.Index >= ds.Len() {
			return nil, fmt.Errorf("sample %d is outside the dataset of %d", s.Index, ds.Len())
		}
		if err := ds.Load(s.Index, &img); err != nil {
			return nil, fmt.Errorf("thumbnail of sample %d: %w", s.Index, err)
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, shrink(&img, thumbSize), &jpeg.Options{Quality: 85}); err != nil {
			return nil, fmt.Errorf("thumbnail of sample %d: %w", s.Index, err)
		}
		name := filepath.Base(samplePath(ds, s.Index))
		if name == "." {
			name = fmt.Sprintf("sample %d", s.Index)
		}
		out = append(out, thumbnail{JPEG: b.Bytes(), Name: name, True: classes[s.Label], Pred: classes[s.Pred],
			PTrue: s.PLabel, PPred: s.PPred})
	}
	return out, nil
}

// shrink returns src scaled down (never up) so that its longest side is at
// most size, averaging the source pixels under each output pixel.
func shrink(src *data.RGB, size int) *image.RGBA {
	w, h := src.W, src.H
	if w <= 0 || h <= 0 {
		return image.NewRGBA(image.Rect(0, 0, 1, 1))
	}
	ow, oh := w, h
	if m := max(w, h); m > size {
		ow, oh = max(1, w*size/m), max(1, h*size/m)
	}
	dst := image.NewRGBA(image.Rect(0, 0, ow, oh))
	for y := range oh {
		y0, y1 := y*h/oh, max((y+1)*h/oh, y*h/oh+1)
		for x := range ow {
			x0, x1 := x*w/ow, max((x+1)*w/ow, x*w/ow+1)
			var r, g, b, n int
			for sy := y0; sy < y1; sy++ {
				row := src.Pix[3*(sy*w+x0) : 3*(sy*w+x1)]
				for k := 0; k < len(row); k += 3 {
					r, g, b = r+int(row[k]), g+int(row[k+1]), b+int(row[k+2])
					n++
				}
			}
			i := dst.PixOffset(x, y)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(r/n), uint8(g/n), uint8(b/n), 255
		}
	}
	return dst
}
