//go:build ignore

// Command gen_fuzz_corpus writes the seed corpus of FuzzPredictRequest
// into fuzz/FuzzPredictRequest/. Run from serve/testdata:
//
//	go run gen_fuzz_corpus.go
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"log"
	"mime/multipart"
	"os"
	"path/filepath"
)

func pngOf(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 40), uint8(y * 30), uint8(x * y), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

func gifOf(w, h int) []byte {
	img := image.NewPaletted(image.Rect(0, 0, w, h), []color.Color{color.Black, color.White})
	img.Pix[0] = 1
	var b bytes.Buffer
	if err := gif.Encode(&b, img, nil); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// hugePNG claims 100000×100000 pixels in a valid header.
func hugePNG() []byte {
	b := pngOf(1, 1)
	binary.BigEndian.PutUint32(b[16:], 100_000)
	binary.BigEndian.PutUint32(b[20:], 100_000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func multipartOf(boundary string, parts map[string][]byte, order []string) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.SetBoundary(boundary); err != nil {
		log.Fatal(err)
	}
	for _, name := range order {
		w, err := mw.CreateFormFile(name, name+".png")
		if err != nil {
			log.Fatal(err)
		}
		w.Write(parts[name])
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func main() {
	dir := filepath.Join("fuzz", "FuzzPredictRequest")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	good := pngOf(8, 8)
	two, twoCT := multipartOf("b0undary", map[string][]byte{"image": good}, []string{"image", "image"})
	wrong, wrongCT := multipartOf("b0undary", map[string][]byte{"photo": good}, []string{"photo"})
	seeds := []struct {
		name, ct string
		body     []byte
	}{
		{"png", "image/png", good},
		{"gif-octet-stream", "application/octet-stream", gifOf(5, 3)},
		{"truncated-png", "image/png", good[:len(good)/2]},
		{"huge-png", "image/png", hugePNG()},
		{"garbage", "image/jpeg", []byte("not an image")},
		{"empty", "image/png", nil},
		{"text", "text/plain", []byte("hello")},
		{"multipart-two", twoCT, two},
		{"multipart-cut", twoCT, two[:len(two)-20]},
		{"multipart-no-boundary", "multipart/form-data", two},
		{"multipart-wrong-name", wrongCT, wrong},
	}
	for _, s := range seeds {
		text := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nstring(%q)\n", s.body, s.ct)
		if err := os.WriteFile(filepath.Join(dir, s.name), []byte(text), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
