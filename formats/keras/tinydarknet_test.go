package keras

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// goldenTinyDarknet is the part of golden/tinydarknet.json the test reads.
type goldenTinyDarknet struct {
	Results []struct {
		Photo     string    `json:"photo"`
		InputFile string    `json:"input_file"`
		Raw       []float64 `json:"raw"`
		Top5      []struct {
			Index int `json:"index"`
		} `json:"top5"`
	} `json:"results"`
}

// top5 returns the indices of the five largest values, ties to the lower index.
func top5(v []float32) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] > v[idx[b]] })
	return idx[:5]
}

// TestTinyDarknetGolden runs the pretrained TF.js Tiny Darknet on the eight
// golden photos and compares the logits with TensorFlow.js's.
func TestTinyDarknetGolden(t *testing.T) {
	models := sharedDir(t, "models")
	m, err := LoadTFJSFile(filepath.Join(models, "tinydarknet", "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Classes != 1000 || len(m.InputShape) != 3 || m.InputShape[0] != 224 || m.InputShape[2] != 3 {
		t.Fatalf("classes %d, input %v; want 1000 and [224 224 3]", m.Classes, m.InputShape)
	}
	raw, err := os.ReadFile(filepath.Join(models, "golden", "tinydarknet.json"))
	if err != nil {
		t.Fatal(err)
	}
	var gold goldenTinyDarknet
	if err := json.Unmarshal(raw, &gold); err != nil {
		t.Fatal(err)
	}
	if len(gold.Results) != 8 {
		t.Fatalf("golden file has %d results, want 8", len(gold.Results))
	}
	for _, r := range gold.Results {
		px, err := os.ReadFile(filepath.Join(models, "golden", "inputs", filepath.Base(r.InputFile)))
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.New(1, 224, 224, 3)
		if len(px) != len(x.Data) {
			t.Fatalf("%s: %d bytes, want %d", r.InputFile, len(px), len(x.Data))
		}
		for i, b := range px {
			x.Data[i] = float32(b) / 255
		}
		out, err := m.Graph.Forward([]*tensor.Tensor{x}, false)
		if err != nil {
			t.Fatal(err)
		}
		y := out[0]
		if len(y.Data) != len(r.Raw) {
			t.Fatalf("%s: output %v, want %d values", r.Photo, y.Shape, len(r.Raw))
		}
		worst := 0.0
		for i, want := range r.Raw {
			worst = math.Max(worst, math.Abs(float64(y.Data[i])-want))
		}
		if worst > 1e-4 {
			t.Errorf("%s: max |Δlogit| = %g, want <= 1e-4", r.Photo, worst)
		}
		got := top5(y.Data)
		for k, e := range r.Top5 {
			if got[k] != e.Index {
				t.Errorf("%s: top-5 %v, want index %d at rank %d", r.Photo, got, e.Index, k)
				break
			}
		}
		t.Logf("%s: max |Δlogit| %.3g, top-1 %d", r.Photo, worst, got[0])
	}
}
