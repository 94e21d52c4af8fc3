package data

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCenterSquareMatchesGoldenInputs checks the centre-square crop and
// resize against the bytes the shared golden data was made from (Pillow's
// crop with floor offsets, then BILINEAR). BMP decoding is exact, so the
// bytes must agree to within Pillow's rounding.
func TestCenterSquareMatchesGoldenInputs(t *testing.T) {
	shared := filepath.Join("..", "..", "shared")
	golden := filepath.Join(shared, "models", "golden", "inputs")
	if _, err := os.Stat(golden); err != nil {
		t.Skipf("../shared is not beside the repository: %v", err)
	}
	for _, stem := range []string{"cat", "grace_hopper", "sunflower"} {
		want, err := os.ReadFile(filepath.Join(golden, stem+".224.rgb"))
		if err != nil {
			t.Fatal(err)
		}
		var img RGB
		if err := DecodeFile(filepath.Join(shared, "images", stem+".bmp"), &img, DecodeOptions{}); err != nil {
			t.Fatal(err)
		}
		p := Preprocess{Height: 224, Width: 224, Resize: ResizeCenterSquare, Scale: ScaleUnit}
		var z Resizer
		var out RGB
		if err := p.Geometry(&z, &img, &out); err != nil {
			t.Fatal(err)
		}
		worst := 0
		for i := range want {
			d := int(out.Pix[i]) - int(want[i])
			worst = max(worst, d, -d)
		}
		if worst > 1 {
			t.Errorf("%s: centre-square resize differs from the golden input by up to %d", stem, worst)
		}
	}
}
