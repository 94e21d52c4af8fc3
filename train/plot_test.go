package train

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// decodePNG decodes b and fails the test unless it is a w x h PNG
// (w or h < 0: any).
func decodePNG(t *testing.T, b []byte, w, h int) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if sz := img.Bounds().Size(); (w >= 0 && sz.X != w) || (h >= 0 && sz.Y != h) {
		t.Fatalf("PNG is %v, want %dx%d", sz, w, h)
	}
	return img
}

// savePlot writes a test's image to $GRAFT_PLOT_DIR, when set, to look at.
func savePlot(t *testing.T, name string, b []byte) {
	if dir := os.Getenv("GRAFT_PLOT_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFontDrawsEveryGlyphInsideItsBox(t *testing.T) {
	s := ""
	for r := rune(32); r < 127; r++ {
		s += string(r)
	}
	c := newCanvas(textWidth(s, 2)+4, textHeight(2)+4)
	c.text(2, 2, s, 2, colInk)
	b, err := c.png()
	if err != nil {
		t.Fatal(err)
	}
	savePlot(t, "font.png", b)
	ink := 0
	for y := 0; y < c.img.Bounds().Dy(); y++ {
		for x := 0; x < c.img.Bounds().Dx(); x++ {
			if c.img.RGBAAt(x, y) == colInk {
				if x < 2 || y < 2 || y >= 2+textHeight(2) {
					t.Fatalf("ink at (%d, %d), outside the text box", x, y)
				}
				ink++
			}
		}
	}
	// Every printable glyph but the space has pixels.
	for r := rune(33); r < 127; r++ {
		if *glyph(r) == [7]uint8{} {
			t.Errorf("glyph %q is empty", r)
		}
	}
	if ink == 0 {
		t.Fatal("no text drawn")
	}
	if glyph('é') != glyph('?') {
		t.Error("a non-ASCII rune does not draw as '?'")
	}
}

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi         float64
		integer        bool
		want           []float64
		wantLo, wantHi float64
	}{
		{0.13, 0.92, false, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}, 0, 1},
		{1, 7, true, []float64{0, 2, 4, 6, 8}, 0, 8},
		{1, 2, true, []float64{1, 2}, 1, 2},
		{0.61, 0.69, false, []float64{0.6, 0.62, 0.64, 0.66, 0.68, 0.7}, 0.6, 0.7},
	} {
		got, lo, hi := niceTicks(tc.lo, tc.hi, 6, tc.integer)
		if len(got) != len(tc.want) || math.Abs(lo-tc.wantLo) > 1e-9 || math.Abs(hi-tc.wantHi) > 1e-9 {
			t.Errorf("niceTicks(%v, %v) = %v [%v, %v], want %v [%v, %v]", tc.lo, tc.hi, got, lo, hi, tc.want, tc.wantLo, tc.wantHi)
			continue
		}
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-9 {
				t.Errorf("niceTicks(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
				break
			}
		}
	}
	if got := formatTick(0.6000000001, 0.02); got != "0.60" {
		t.Errorf("formatTick = %q, want 0.60", got)
	}
	if got := formatPow10(-5); got != "1e-5" {
		t.Errorf("formatPow10(-5) = %q", got)
	}
	if got := formatPow10(-2); got != "0.01" {
		t.Errorf("formatPow10(-2) = %q", got)
	}
}

func TestLineChartDrawsSeriesInTheirColours(t *testing.T) {
	ch := &lineChart{title: "Loss", xLabel: "epoch", yLabel: "loss", intX: true,
		series: []series{
			{name: "train", x: []float64{1, 2, 3, 4}, y: []float64{1.2, 0.8, 0.5, 0.4}, col: colSeries[0], points: true},
			{name: "validation", x: []float64{1, 2, 3, 4}, y: []float64{1.3, 0.9, 0.7, math.NaN()}, col: colSeries[1], dash: 8},
		},
		marks: []vmark{{x: 2.5, label: "fine-tune", col: colMuted}}}
	c := ch.render(640, 400)
	b, err := c.png()
	if err != nil {
		t.Fatal(err)
	}
	savePlot(t, "chart.png", b)
	decodePNG(t, b, 640, 400)
	count := map[[4]uint8]int{}
	for i := 0; i < len(c.img.Pix); i += 4 {
		p := c.img.Pix[i : i+4]
		count[[4]uint8{p[0], p[1], p[2], p[3]}]++
	}
	for _, col := range []int{0, 1} {
		k := colSeries[col]
		if count[[4]uint8{k.R, k.G, k.B, k.A}] < 100 {
			t.Errorf("series %d colour has %d pixels", col, count[[4]uint8{k.R, k.G, k.B, k.A}])
		}
	}
}

func TestConfusionImage(t *testing.T) {
	cm := NewConfusion([]string{"abyssinian", "bengal", "a_very_long_class_name_indeed"})
	for _, tp := range [][3]int{{0, 0, 40}, {0, 1, 3}, {1, 1, 25}, {2, 0, 1}, {2, 2, 130}} {
		for range tp[2] {
			cm.Add(tp[0], tp[1])
		}
	}
	c := confusionImage(cm)
	b, err := c.png()
	if err != nil {
		t.Fatal(err)
	}
	savePlot(t, "confusion.png", b)
	decodePNG(t, b, -1, -1)
	// The diagonal cells are dark (most of their row), an empty cell white.
	if heatColor(1) == heatColor(0) {
		t.Fatal("the colour scale is flat")
	}
	big := NewConfusion(make([]string, 150))
	if sz := confusionImage(big).img.Bounds().Size(); sz.X > 1500 || sz.Y > 1500 {
		t.Errorf("150 classes make a %v image", sz)
	}
}
