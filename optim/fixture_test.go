package optim

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// readFixture decodes a JSON fixture made by testdata/gen_optim.py.
func readFixture(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v (regenerate with /usr/bin/python3 optim/testdata/gen_optim.py)", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
}

// f32s converts fixture numbers (float32 values written as doubles).
func f32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// closeRel reports whether got is within tol of want, relative to
// max(|want|, floor).
func closeRel(got, want, tol, floor float64) bool {
	return math.Abs(got-want) <= tol*math.Max(math.Abs(want), floor)
}
