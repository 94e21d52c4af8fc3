package data

import "testing"

func FuzzDecode(f *testing.F) {
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\x00\x00\x00\x08"))
	opts := DecodeOptions{MaxPixels: 1 << 16, MaxFileBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, b []byte) {
		if o := jpegOrientation(b); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
		var img RGB
		if err := Decode(b, &img, opts); err != nil {
			return
		}
		if err := img.validate(); err != nil {
			t.Fatal(err)
		}
		if img.W*img.H > opts.MaxPixels {
			t.Fatalf("decoded %dx%d past the %d-pixel limit", img.W, img.H, opts.MaxPixels)
		}
	})
}
