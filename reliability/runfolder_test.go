package reliability

import (
	"encoding/csv"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graft-ml/graft/formats/graftfile"
	"github.com/graft-ml/graft/train"
)

// runFolder is what checkRunFolder found in a training run's folder.
type runFolder struct {
	temps   []string                    // temporary files left by an interrupted save
	models  map[string]*graftfile.Model // every .graft file, by name
	metrics []train.EpochLog            // metrics.json, nil when absent
	others  []string                    // files of a type it does not check
}

// isTemp reports whether a file name is one graftfile.WriteAtomic writes
// before renaming it into place.
func isTemp(name string) bool { return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-") }

// checkRunFolder fails the test unless every file in dir other than a
// temporary one is complete: each .graft file loads (its checksums hold),
// metrics.json and metrics.csv parse.
func checkRunFolder(t *testing.T, dir string) runFolder {
	t.Helper()
	rf := runFolder{models: map[string]*graftfile.Model{}}
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return rf
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name, path := e.Name(), filepath.Join(dir, e.Name())
		switch {
		case isTemp(name):
			rf.temps = append(rf.temps, name)
		case strings.HasSuffix(name, ".graft"):
			m, err := graftfile.Load(path)
			if err != nil {
				t.Fatalf("%s is not a complete model file: %v", name, err)
			}
			rf.models[name] = m
		case name == train.MetricsJSON:
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &rf.metrics); err != nil {
				t.Fatalf("%s does not parse: %v", name, err)
			}
		case name == train.MetricsCSV:
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(f).ReadAll()
			f.Close()
			if err != nil || len(rows) == 0 || rows[0][0] != "phase" {
				t.Fatalf("%s does not parse as the metrics log (%d rows): %v", name, len(rows), err)
			}
		case strings.HasSuffix(name, ".png"):
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatalf("%s is not a complete PNG: %v", name, err)
			}
		case strings.HasSuffix(name, ".json"):
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(b) {
				t.Fatalf("%s is not complete JSON", name)
			}
		case strings.HasSuffix(name, ".html"):
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.ToLower(string(b)), "</html>") {
				t.Fatalf("%s is not a complete HTML page", name)
			}
		default:
			rf.others = append(rf.others, name)
		}
	}
	return rf
}

// checkpointHistory returns the epoch history stored in a checkpoint's
// trainer state.
func checkpointHistory(t *testing.T, m *graftfile.Model) []train.EpochLog {
	t.Helper()
	var st struct {
		History []train.EpochLog `json:"history"`
	}
	if err := json.Unmarshal(m.Blobs["trainer"], &st); err != nil {
		t.Fatalf("checkpoint trainer state: %v", err)
	}
	return st.History
}

// same reports whether a and b are the same number, bit for bit: runs with
// the same seed are identical, resumed or not.
func same(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// sameWeights fails the test unless a and b hold the same tensors under the
// same names, bit for bit.
func sameWeights(t *testing.T, what string, a, b *graftfile.Model) {
	t.Helper()
	pa := append(a.Graph.Params(), a.Graph.State()...)
	pb := map[string][]float32{}
	for _, p := range append(b.Graph.Params(), b.Graph.State()...) {
		pb[p.Name] = p.Value.Data
	}
	if len(pa) != len(pb) {
		t.Fatalf("%s: %d tensors, want %d", what, len(pa), len(pb))
	}
	for _, p := range pa {
		want, ok := pb[p.Name]
		if !ok || len(want) != len(p.Value.Data) {
			t.Fatalf("%s: tensor %s missing or resized", what, p.Name)
		}
		for i, v := range p.Value.Data {
			if math.Float32bits(v) != math.Float32bits(want[i]) {
				t.Fatalf("%s: %s[%d] = %v, uninterrupted run has %v", what, p.Name, i, v, want[i])
			}
		}
	}
}

// sameLosses fails the test unless got's epochs match want's (phase, epoch
// and step, and losses bit for bit), position by position.
func sameLosses(t *testing.T, what string, got, want []train.EpochLog) {
	t.Helper()
	if len(got) > len(want) {
		t.Fatalf("%s: %d epochs, the whole run has %d", what, len(got), len(want))
	}
	for i, g := range got {
		w := want[i]
		if g.Phase != w.Phase || g.Epoch != w.Epoch || g.Step != w.Step || !same(g.TrainLoss, w.TrainLoss) ||
			!same(g.ValLoss, w.ValLoss) {
			t.Fatalf("%s: epoch %d is %s %d (step %d, loss %v/%v), uninterrupted run has %s %d (step %d, loss %v/%v)", what, i+1,
				g.Phase, g.Epoch, g.Step, g.TrainLoss, g.ValLoss, w.Phase, w.Epoch, w.Step, w.TrainLoss, w.ValLoss)
		}
	}
}
