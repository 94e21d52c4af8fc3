package data

import (
	"bufio"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestResizeMatchesPillow compares every policy against Pillow's BILINEAR
// results written by testdata/gen_fixtures.py.
func TestResizeMatchesPillow(t *testing.T) {
	f, err := os.Open("testdata/resize/cases.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var z Resizer
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 6 {
			continue
		}
		n++
		srcName, outName, policy := fs[0], fs[1], fs[2]
		h, _ := strconv.Atoi(fs[3])
		w, _ := strconv.Atoi(fs[4])
		ratio, _ := strconv.ParseFloat(fs[5], 64)
		t.Run(outName, func(t *testing.T) {
			var src, got RGB
			if err := DecodeFile(filepath.Join("testdata/resize", srcName), &src, DecodeOptions{}); err != nil {
				t.Fatal(err)
			}
			want := readRGBFixture(t, filepath.Join("testdata/resize", outName), w, h)
			if strings.HasPrefix(policy, "crop:") {
				var x0, y0, x1, y1 int
				if _, err := fmt.Sscanf(policy, "crop:%d,%d,%d,%d", &x0, &y0, &x1, &y1); err != nil {
					t.Fatal(err)
				}
				if err := z.Resize(&src, image.Rect(x0, y0, x1, y1), w, h, image.Rect(0, 0, w, h), &got); err != nil {
					t.Fatal(err)
				}
			} else {
				p := Preprocess{Height: h, Width: w, CropRatio: ratio}
				switch policy {
				case "shorter-crop":
					p.Resize = ResizeShorterCrop
				case "squash":
					p.Resize = ResizeSquash
				case "center-square":
					p.Resize = ResizeCenterSquare
				default:
					t.Fatalf("unknown policy %q", policy)
				}
				if err := p.Geometry(&z, &src, &got); err != nil {
					t.Fatal(err)
				}
			}
			if d := maxDiff(t, &got, want); d > 1 {
				t.Errorf("max difference %d from Pillow, want <= 1", d)
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d cases in cases.txt", n)
	}
}

func TestResizeIdentityAndErrors(t *testing.T) {
	src := NewRGB(5, 4)
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 7)
	}
	var z Resizer
	var dst RGB
	if err := z.Resize(src, image.Rect(0, 0, 5, 4), 5, 4, image.Rect(0, 0, 5, 4), &dst); err != nil {
		t.Fatal(err)
	}
	if maxDiff(t, &dst, src) != 0 {
		t.Error("same-size resize changed pixels")
	}
	if err := z.Resize(src, image.Rect(0, 0, 6, 4), 5, 4, image.Rect(0, 0, 5, 4), &dst); err == nil {
		t.Error("crop outside the image accepted")
	}
	if err := z.Resize(src, image.Rect(0, 0, 5, 4), 0, 4, image.Rect(0, 0, 0, 4), &dst); err == nil {
		t.Error("empty output accepted")
	}
}

func TestNormalizeScaleModes(t *testing.T) {
	img := NewRGB(1, 1)
	img.Set(0, 0, 255, 128, 0)
	cases := []struct {
		p    Preprocess
		want [3]float32
	}{
		{Preprocess{Height: 1, Width: 1, Scale: ScaleUnit}, [3]float32{1, 128.0 / 255, 0}},
		{Preprocess{Height: 1, Width: 1, Scale: ScaleSymmetric}, [3]float32{1, 128/127.5 - 1, -1}},
		{Preprocess{Height: 1, Width: 1, Scale: ScaleCaffe, Order: OrderBGR}, [3]float32{0 - 103.939, 128 - 116.779, 255 - 123.68}},
		{Preprocess{Height: 1, Width: 1, Scale: ScaleMeanStd}, [3]float32{(1 - 0.485) / 0.229, (128.0/255 - 0.456) / 0.224, (0 - 0.406) / 0.225}},
		{Preprocess{Height: 1, Width: 1, Scale: ScaleUnit, Order: OrderBGR}, [3]float32{0, 128.0 / 255, 1}},
	}
	for i, c := range cases {
		got := make([]float32, 3)
		if err := c.p.Normalize(img, got); err != nil {
			t.Fatal(err)
		}
		unit := make([]float32, 3)
		if err := c.p.NormalizeUnit([]float32{1, 128.0 / 255, 0}, unit); err != nil {
			t.Fatal(err)
		}
		for k := range 3 {
			if d := got[k] - c.want[k]; d > 1e-4 || d < -1e-4 {
				t.Errorf("case %d channel %d: Normalize %v, want %v", i, k, got[k], c.want[k])
			}
			if d := unit[k] - c.want[k]; d > 1e-4 || d < -1e-4 {
				t.Errorf("case %d channel %d: NormalizeUnit %v, want %v", i, k, unit[k], c.want[k])
			}
		}
	}
}

func TestPreprocessValidate(t *testing.T) {
	bad := []Preprocess{
		{Height: 0, Width: 4},
		{Height: 4, Width: 4, CropRatio: 1.5},
		{Height: 4, Width: 4, Resize: 9},
		{Height: 4, Width: 4, Scale: ScaleMeanStd, Std: [3]float32{1, 0, 1}},
		{Height: 4, Width: 4, Order: 7},
	}
	for i, p := range bad {
		if p.Validate() == nil {
			t.Errorf("case %d: %+v validated", i, p)
		}
	}
	if err := TorchvisionPreprocess(224).Validate(); err != nil {
		t.Error(err)
	}
}

func TestShorterCropPlanNonSquare(t *testing.T) {
	p := Preprocess{Height: 20, Width: 40, Resize: ResizeShorterCrop, CropRatio: 0.5}
	cases := []struct {
		iw, ih     int
		outW, outH int
		win        image.Rectangle
	}{
		{100, 50, 80, 40, image.Rect(20, 10, 60, 30)},  // height fits first
		{50, 100, 80, 160, image.Rect(20, 70, 60, 90)}, // too narrow: fit the width
		{224, 224, 80, 80, image.Rect(20, 30, 60, 50)},
	}
	for _, c := range cases {
		crop, ow, oh, win := p.plan(c.iw, c.ih)
		if crop != image.Rect(0, 0, c.iw, c.ih) || ow != c.outW || oh != c.outH || win != c.win {
			t.Errorf("%dx%d: crop %v resize %dx%d window %v; want %dx%d window %v", c.iw, c.ih, crop, ow, oh, win, c.outW, c.outH, c.win)
		}
	}
	// torchvision's 256 -> 224 on a 500x375 photo: 341x256, crop at (58, 16).
	_, ow, oh, win := TorchvisionPreprocess(224).plan(500, 375)
	if ow != 341 || oh != 256 || win != image.Rect(58, 16, 282, 240) {
		t.Errorf("500x375: resize %dx%d window %v, want 341x256 at (58,16)", ow, oh, win)
	}
}
