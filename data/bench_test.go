package data

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"testing"
)

// photoJPEG encodes a smooth 500×375 test picture (the size of a typical
// ImageNet photo) at quality 90, 4:2:0.
func photoJPEG(b *testing.B) []byte {
	m := image.NewRGBA(image.Rect(0, 0, 500, 375))
	for y := range 375 {
		for x := range 500 {
			m.Set(x, y, color.RGBA{uint8(x / 2), uint8(y * 2 / 3), uint8((x + y) % 256), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkDecodeJPEG500x375(b *testing.B) {
	data := photoJPEG(b)
	var img RGB
	for b.Loop() {
		if err := Decode(data, &img, DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPreprocess500x375To224(b *testing.B) {
	var img RGB
	if err := Decode(photoJPEG(b), &img, DecodeOptions{}); err != nil {
		b.Fatal(err)
	}
	p := TorchvisionPreprocess(224)
	var z Resizer
	var tmp RGB
	dst := make([]float32, p.Numel())
	for b.Loop() {
		if err := p.Apply(&z, &img, &tmp, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAugment500x375To224(b *testing.B) {
	var img RGB
	if err := Decode(photoJPEG(b), &img, DecodeOptions{}); err != nil {
		b.Fatal(err)
	}
	tr := Transform{Pre: TorchvisionPreprocess(224), Aug: &Augment{Crop: &RandomResizedCrop{}, HFlip: 0.5,
		Jitter: ColorJitter{0.4, 0.4, 0.4, 0.1}}}
	var s Scratch
	dst := make([]float32, tr.Pre.Numel())
	seed := uint64(0)
	for b.Loop() {
		seed++
		if err := tr.Apply(&s, &img, seed, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// jpegDataset serves the same encoded JPEG for every sample.
type jpegDataset struct {
	data []byte
	n    int
}

func (d *jpegDataset) Len() int                   { return d.n }
func (d *jpegDataset) Label(i int) int            { return i % 2 }
func (d *jpegDataset) ClassNames() []string       { return []string{"a", "b"} }
func (d *jpegDataset) Load(i int, dst *RGB) error { return Decode(d.data, dst, DecodeOptions{}) }

// BenchmarkLoaderJPEG224 reports images per second through the whole
// pipeline (decode, resize, crop, normalise) with GOMAXPROCS workers.
func BenchmarkLoaderJPEG224(b *testing.B) {
	ds := &jpegDataset{data: photoJPEG(b), n: 64}
	l, err := NewLoader(ds, LoaderOptions{BatchSize: 32, Transform: Transform{Pre: TorchvisionPreprocess(224)}})
	if err != nil {
		b.Fatal(err)
	}
	images := 0
	for b.Loop() {
		it := l.Epoch(context.Background(), 0)
		for {
			bt, err := it.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			images += len(bt.Labels)
		}
		it.Close()
	}
	b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "img/s")
}
