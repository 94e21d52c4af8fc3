package keras

import (
	"encoding/json"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// nsfwjsVersion is the nsfwjs release the expected outputs were made with.
const nsfwjsVersion = "4.4.0"

// nsfwjsDir returns the installed nsfwjs package (NSFWJS_DIR, or a default
// install location), skipping the test when there is none.
func nsfwjsDir(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("NSFWJS_DIR"),
		"/opt/graft-fixtures/node_modules/nsfwjs", "/tmp/nsfwjs/node_modules/nsfwjs"}
	for _, d := range candidates {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "dist", "models", "mobilenet_v2", "model.min.js")); err == nil {
			return d
		}
	}
	t.Skipf("nsfwjs not installed: set NSFWJS_DIR to the package directory, or run "+
		"npm install --prefix /opt/graft-fixtures nsfwjs@%s --ignore-scripts --legacy-peer-deps", nsfwjsVersion)
	return ""
}

// loadNSFWJS loads one of the package's bundled models.
func loadNSFWJS(t *testing.T, dir, model string) *Model {
	t.Helper()
	mdir := filepath.Join(dir, "dist", "models", model)
	src, err := os.ReadFile(filepath.Join(mdir, "model.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	modelJSON, err := decodeModelBundle(string(src))
	if err != nil {
		t.Fatalf("%s/model.min.js: %v", model, err)
	}
	m, err := ParseTFJS(modelJSON, model+"/model.json", func(p string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(mdir, path.Base(p)+".min.js"))
		if err != nil {
			return nil, err
		}
		return decodeShardBundle(string(b))
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// patternInput is a deterministic test image in [0, 1] that the TF.js
// generator (testdata/nsfwjs_expected.js) builds the same way.
func patternInput(size int) *tensor.Tensor {
	x := tensor.New(1, size, size, 3)
	for i := range x.Data {
		x.Data[i] = float32((i*7919)%256) / 255
	}
	return x
}

// nsfwjsExpected is testdata/nsfwjs_expected.json.
type nsfwjsExpected struct {
	Version string `json:"nsfwjs"`
	Models  map[string]struct {
		Size int       `json:"size"`
		Prob []float64 `json:"prob"`
	} `json:"models"`
}

// TestNSFWJS loads the uint8-quantised MobileNetV2 and InceptionV3 that the
// nsfwjs package bundles, checks their outputs are probabilities over the five
// classes, deterministic, and equal to TensorFlow.js's on a pattern image.
func TestNSFWJS(t *testing.T) {
	dir := nsfwjsDir(t)
	raw, err := os.ReadFile(filepath.Join("testdata", "nsfwjs_expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp nsfwjsExpected
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mobilenet_v2", "inception_v3"} {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && name == "inception_v3" {
				t.Skip("InceptionV3 takes a few seconds; skipped with -short")
			}
			m := loadNSFWJS(t, dir, name)
			want, ok := exp.Models[name]
			if !ok {
				t.Fatalf("no expected output for %s", name)
			}
			if m.Classes != 5 || m.InputShape[0] != want.Size {
				t.Fatalf("classes %d, input %v; want 5 classes and size %d", m.Classes, m.InputShape, want.Size)
			}
			var first []float32
			for run := 0; run < 2; run++ {
				out, err := m.Graph.Forward([]*tensor.Tensor{patternInput(want.Size)}, false)
				if err != nil {
					t.Fatal(err)
				}
				p := out[0].Data
				if len(p) != 5 {
					t.Fatalf("output %v, want [1 5]", out[0].Shape)
				}
				sum := 0.0
				for _, v := range p {
					if math.IsNaN(float64(v)) || v < 0 || v > 1 {
						t.Fatalf("output %v is not a probability vector", p)
					}
					sum += float64(v)
				}
				if math.Abs(sum-1) > 1e-5 {
					t.Fatalf("probabilities %v sum to %g", p, sum)
				}
				if first == nil {
					first = append([]float32(nil), p...)
					continue
				}
				for i := range p {
					if p[i] != first[i] {
						t.Fatalf("second run %v differs from the first %v", p, first)
					}
				}
			}
			for i, w := range want.Prob {
				if d := math.Abs(float64(first[i]) - w); d > 1e-4 {
					t.Errorf("class %d: probability %g, TF.js %g (|Δ| %.2g > 1e-4)", i, first[i], w, d)
				}
			}
			t.Logf("%s: %v (TF.js %v)", name, first, want.Prob)
		})
	}
}

// TestJSLiteralToJSON checks the bundle decoding on a small literal.
func TestJSLiteralToJSON(t *testing.T) {
	got, err := jsLiteralToJSON(`{a:!0,b:!1,c:.5,d:-.25,e:[1e-7,null],"f":"x:y!0",g:{h:2}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":true,"b":false,"c":0.5,"d":-0.25,"e":[1e-7,null],"f":"x:y!0","g":{"h":2}}`
	if string(got) != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	src := `!function(e){module.exports=e()}(function(){return {1:[function(e,h,n){h.exports="AAEC"},{}]}})`
	b, err := decodeShardBundle(src)
	if err != nil || len(b) != 3 || b[2] != 2 {
		t.Fatalf("decodeShardBundle = %v, %v; want [0 1 2]", b, err)
	}
	if !strings.Contains(string(got), `"h":2`) {
		t.Fatal("nested key not quoted")
	}
}
