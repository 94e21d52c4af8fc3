package keras

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// expectedFixtures is testdata/expected.json, written by make_fixtures.py.
type expectedFixtures struct {
	InputShape []int     `json:"input_shape"`
	Input      []float32 `json:"input"`
	Tiny       []float64 `json:"tiny"`
	TinyU8     []float64 `json:"tiny_u8"`
	Nested     []float64 `json:"nested"`
}

func readExpected(t *testing.T) *expectedFixtures {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expectedFixtures
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return &e
}

// checkOutput runs m on the fixture input and compares with want.
func checkOutput(t *testing.T, m *Model, e *expectedFixtures, want []float64, tol float64) {
	t.Helper()
	x, err := tensor.FromData(append([]float32(nil), e.Input...), e.InputShape...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Graph.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	y := out[0]
	if len(y.Data) != len(want) {
		t.Fatalf("output %v has %d values, want %d", y.Shape, len(y.Data), len(want))
	}
	worst := 0.0
	for i, w := range want {
		worst = math.Max(worst, math.Abs(float64(y.Data[i])-w))
	}
	if worst > tol {
		t.Fatalf("max |Δ| = %g against numpy, want <= %g\n got %v\nwant %v", worst, tol, y.Data, want)
	}
}

func TestFixtureFormats(t *testing.T) {
	e := readExpected(t)
	load := map[string]func() (*Model, error){
		"h5 earliest": func() (*Model, error) { return Load("testdata/tiny_k2.h5") },
		"h5 latest":   func() (*Model, error) { return Load("testdata/tiny_k2_latest.h5") },
		"keras zip":   func() (*Model, error) { return Load("testdata/tiny_k3.keras") },
		"tfjs dir":    func() (*Model, error) { return Load("testdata/tiny_tfjs") },
		"tfjs json":   func() (*Model, error) { return Load("testdata/tiny_tfjs/model.json") },
		"config + weights-only h5": func() (*Model, error) {
			cfg, err := os.ReadFile("testdata/tiny_k2.json")
			if err != nil {
				return nil, err
			}
			m, err := FromConfig(cfg, "2.13.1")
			if err != nil {
				return nil, err
			}
			return m, LoadWeightsH5(m, "testdata/tiny_weights.h5")
		},
		"keras3 config + whole-model h5 weights": func() (*Model, error) {
			cfg, err := os.ReadFile("testdata/tiny_k3.json")
			if err != nil {
				return nil, err
			}
			m, err := FromConfig(cfg, "3.3.3")
			if err != nil {
				return nil, err
			}
			return m, LoadWeightsH5(m, "testdata/tiny_k2.h5")
		},
	}
	for name, f := range load {
		t.Run(name, func(t *testing.T) {
			m, err := f()
			if err != nil {
				t.Fatal(err)
			}
			if m.Classes != 5 || len(m.InputShape) != 3 || m.InputShape[0] != 8 {
				t.Fatalf("classes %d, input %v; want 5 and [8 8 3]", m.Classes, m.InputShape)
			}
			checkOutput(t, m, e, e.Tiny, 1e-4)
		})
	}
}

func TestFixtureQuantisedTFJS(t *testing.T) {
	e := readExpected(t)
	m, err := Load("testdata/tiny_tfjs_u8")
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, m, e, e.TinyU8, 1e-4)
	// The quantised model differs from the float one: the test would notice
	// if dequantisation were skipped.
	diff := 0.0
	for i := range e.Tiny {
		diff = math.Max(diff, math.Abs(e.Tiny[i]-e.TinyU8[i]))
	}
	if diff < 1e-4 {
		t.Fatalf("float and quantised expectations differ by only %g", diff)
	}
}

func TestFixtureNested(t *testing.T) {
	e := readExpected(t)
	for _, p := range []string{"testdata/nested_k2.h5", "testdata/nested_k3.keras"} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			m, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if m.Classes != 3 {
				t.Fatalf("classes %d, want 3", m.Classes)
			}
			checkOutput(t, m, e, e.Nested, 1e-4)
			found := false
			for _, l := range m.Layers {
				found = found || l.Name == "base/Conv1"
			}
			if !found {
				t.Fatalf("no layer base/Conv1 in %+v", m.Layers)
			}
		})
	}
}
