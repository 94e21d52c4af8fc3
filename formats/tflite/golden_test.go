package tflite

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// sharedDir returns the shared model directory, or skips the test when this
// checkout has none (it lives beside the repository, never inside it).
func sharedDir(t testing.TB) string {
	t.Helper()
	d := filepath.Join("..", "..", "..", "shared", "models")
	if _, err := os.Stat(filepath.Join(d, "coral")); err != nil {
		t.Skipf("shared models not found at %s (they sit beside the repository, not in it): %v", d, err)
	}
	return d
}

type goldenTop struct {
	Index int     `json:"index"`
	Raw   float64 `json:"raw"`
	Logit float64 `json:"logit"`
	Prob  float64 `json:"prob"`
}

type goldenClasses struct {
	Raw    []float64   `json:"raw"`
	Prob   []float64   `json:"prob"`
	Logits []float64   `json:"logits"`
	Top5   []goldenTop `json:"top5"`
}

type goldenResult struct {
	Photo      string        `json:"photo"`
	InputFile  string        `json:"input_file"`
	Raw        []float64     `json:"raw"`
	Prob       []float64     `json:"prob"`
	Top5       []goldenTop   `json:"top5"`
	Embedding  []float64     `json:"embedding"`
	HeadArmnn  goldenClasses `json:"head_armnn"`
	HeadNumpy  goldenClasses `json:"head_numpy"`
	FloatNumpy struct {
		Logits     []float64   `json:"logits"`
		Prob       []float64   `json:"prob"`
		Top5       []goldenTop `json:"top5"`
		Embedding  []float64   `json:"embedding"`
		HeadLogits []float64   `json:"head_logits"`
		HeadProb   []float64   `json:"head_prob"`
		HeadTop5   []goldenTop `json:"head_top5"`
	} `json:"float_numpy"`
}

type golden struct {
	ModelPath string         `json:"model_path"`
	Results   []goldenResult `json:"results"`
}

func readGolden(t testing.TB, shared, name string) *golden {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(shared, "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(g.Results) != 8 {
		t.Fatalf("%s: %d results, want 8", name, len(g.Results))
	}
	return &g
}

// readInput reads an .rgb golden input and dequantises it with the model's
// input quantisation, as a caller feeding uint8 bytes would.
func readInput(t testing.TB, shared, file string, shape []int, q InputQuantization) *tensor.Tensor {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(shared, "golden", file))
	if err != nil {
		t.Fatal(err)
	}
	x, err := q.Dequantize(raw, shape)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return x
}

// topK returns the indices of the k largest values, ties to the lower index.
func topK(v []float32, k int) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] > v[idx[b]] })
	return idx[:k]
}

func maxAbsDiff(t testing.TB, what string, got []float32, want []float64) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	m := 0.0
	for i := range got {
		m = math.Max(m, math.Abs(float64(got[i])-want[i]))
	}
	return m
}

// checkTight asserts the README's tight assertions against float_numpy:
// values within tol and the same top-5 apart from near-ties.
func checkTight(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if d := maxAbsDiff(t, what, got, want); d > tol {
		t.Errorf("%s: max |Δ| = %.3g against float_numpy, want <= %g", what, d, tol)
	}
}

// checkTop5 asserts that prob's top-5 matches want's, apart from near-ties
// (classes whose probabilities differ by less than 1e-5).
func checkTop5(t *testing.T, what string, prob []float32, want []goldenTop) {
	t.Helper()
	got := topK(prob, 5)
	for i, w := range want {
		if got[i] != w.Index && math.Abs(float64(prob[got[i]]-prob[w.Index])) >= 1e-5 {
			t.Errorf("%s: top-5 %v, float_numpy has %d at place %d", what, got, w.Index, i)
			return
		}
	}
}

// checkLoose asserts the README's loose assertions against the integer
// reference: top-1 among the classes sharing the maximum raw value, every
// class with reference prob >= 0.1 in the top-5, max |Δprob| <= 0.15.
func checkLoose(t *testing.T, what string, prob []float32, raw, refProb []float64) {
	t.Helper()
	top := topK(prob, 5)
	maxRaw := raw[0]
	for _, r := range raw {
		maxRaw = math.Max(maxRaw, r)
	}
	if raw[top[0]] != maxRaw {
		t.Errorf("%s: top-1 %d has reference raw %g, the maximum is %g", what, top[0], raw[top[0]], maxRaw)
	}
	for i, p := range refProb {
		if p >= 0.1 && !containsInt(top, i) {
			t.Errorf("%s: class %d (reference prob %.3f) is not in the top-5 %v", what, i, p, top)
		}
	}
	if d := maxAbsDiff(t, what, prob, refProb); d > 0.15 {
		t.Errorf("%s: max |Δprob| = %.3f against the integer reference, want <= 0.15", what, d)
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func cosine(a []float32, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * b[i]
		aa += float64(a[i]) * float64(a[i])
		bb += b[i] * b[i]
	}
	return ab / math.Sqrt(aa*bb)
}
