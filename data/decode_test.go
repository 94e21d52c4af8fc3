package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func readRGBFixture(t *testing.T, path string, w, h int) *RGB {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 3*w*h {
		t.Fatalf("%s: %d bytes, want %d for %dx%d", path, len(b), 3*w*h, w, h)
	}
	return &RGB{W: w, H: h, Pix: b}
}

// maxDiff returns the largest absolute difference between two same-size images.
func maxDiff(t *testing.T, got, want *RGB) int {
	t.Helper()
	if got.W != want.W || got.H != want.H {
		t.Fatalf("size %dx%d, want %dx%d", got.W, got.H, want.W, want.H)
	}
	m := 0
	for i := range got.Pix {
		d := int(got.Pix[i]) - int(want.Pix[i])
		m = max(m, d, -d)
	}
	return m
}

func TestDecodeFormats(t *testing.T) {
	cases := []struct {
		file string
		w, h int
		tol  int
	}{
		{"rgb.png", 12, 8, 0},
		{"gray.png", 12, 8, 0},
		{"gray16.png", 12, 8, 0},
		{"rgba.png", 12, 8, 0},
		{"palette.gif", 12, 8, 0},
		{"palette_png.png", 12, 8, 0},
		{"bmp.bmp", 12, 8, 0},
		{"webp.webp", 12, 8, 0},
		{"tiff.tiff", 12, 8, 0},
		{"jpeg.jpg", 24, 16, 3},
		{"jpeg_gray.jpg", 24, 16, 3},
		{"cmyk.jpg", 24, 16, 4},
	}
	var img RGB
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", "decode", c.file)
			if err := DecodeFile(path, &img, DecodeOptions{}); err != nil {
				t.Fatal(err)
			}
			ext := filepath.Ext(c.file)
			want := readRGBFixture(t, path[:len(path)-len(ext)]+".rgb", c.w, c.h)
			if d := maxDiff(t, &img, want); d > c.tol {
				t.Errorf("max difference %d from Pillow's pixels, tolerance %d", d, c.tol)
			}
		})
	}
}

func TestDecodeEXIFOrientation(t *testing.T) {
	var want RGB
	if err := DecodeFile("testdata/exif/upright.png", &want, DecodeOptions{}); err != nil {
		t.Fatal(err)
	}
	if r, g, b := want.At(0, 0); r < 200 || g > 50 || b > 50 {
		t.Fatalf("upright fixture top-left is %d,%d,%d, want red", r, g, b)
	}
	for o := 1; o <= 8; o++ {
		path := filepath.Join("testdata", "exif", "o"+string(rune('0'+o))+".jpg")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := jpegOrientation(b); got != o {
			t.Errorf("%s: orientation %d, want %d", path, got, o)
		}
		var img RGB
		if err := Decode(b, &img, DecodeOptions{}); err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(t, &img, &want); d > 12 {
			t.Errorf("orientation %d: max difference %d from the upright image", o, d)
		}
		// Without EXIF handling the rotated ones come out sideways.
		if o >= 5 {
			if err := Decode(b, &img, DecodeOptions{IgnoreEXIF: true}); err != nil {
				t.Fatal(err)
			}
			if img.W != 16 || img.H != 24 {
				t.Errorf("orientation %d ignored: %dx%d, want stored 16x24", o, img.W, img.H)
			}
		}
	}
}

func TestOrientMapping(t *testing.T) {
	// 3x2 image with pixel values = index; check each transform's corners.
	src := NewRGB(3, 2)
	for i := range 6 {
		src.Set(i%3, i/3, uint8(i), 0, 0)
	}
	// Expected first row of the result, per orientation.
	want := map[int][]uint8{
		2: {2, 1, 0},
		3: {5, 4, 3},
		4: {3, 4, 5},
		5: {0, 3},
		6: {3, 0},
		7: {5, 2},
		8: {2, 5},
	}
	for o, row := range want {
		var dst RGB
		got := orient(src, &dst, o)
		if len(row) != got.W {
			t.Fatalf("orientation %d: width %d, want %d", o, got.W, len(row))
		}
		for x, v := range row {
			if r, _, _ := got.At(x, 0); r != v {
				t.Errorf("orientation %d: pixel (%d,0) = %d, want %d", o, x, r, v)
			}
		}
	}
}

func TestDecodeBombGuard(t *testing.T) {
	// A PNG header declaring 100000x100000 pixels must be rejected before
	// any allocation; build a tiny valid PNG and patch its IHDR size.
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	binary.BigEndian.PutUint32(b[16:], 100000)
	binary.BigEndian.PutUint32(b[20:], 100000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	var img RGB
	err := Decode(b, &img, DecodeOptions{})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	// A small limit rejects a real image too.
	err = DecodeFile("testdata/decode/rgb.png", &img, DecodeOptions{MaxPixels: 50})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge for 96 pixels over a limit of 50", err)
	}
}

func TestDecodeErrorsNameFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.jpg")
	if err := os.WriteFile(bad, []byte("not an image at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	var img RGB
	err := DecodeFile(bad, &img, DecodeOptions{})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("broken.jpg")) {
		t.Fatalf("err = %v, want an error naming broken.jpg", err)
	}
	// Truncated PNG.
	b, _ := os.ReadFile("testdata/decode/rgb.png")
	if err := Decode(b[:len(b)/2], &img, DecodeOptions{}); err == nil {
		t.Fatal("truncated PNG decoded without error")
	}
}

func TestJPEGOrientationMalformed(t *testing.T) {
	b, _ := os.ReadFile("testdata/exif/o6.jpg")
	for n := 0; n < len(b) && n < 400; n++ {
		if o := jpegOrientation(b[:n]); o < 1 || o > 8 {
			t.Fatalf("prefix %d: orientation %d", n, o)
		}
	}
}
