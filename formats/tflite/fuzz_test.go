package tflite

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz/FuzzParse from the synthetic models")

// FuzzParse feeds arbitrary bytes to the parser and the planner: they must
// return an error or a result, never panic. The committed corpus in
// testdata/fuzz/FuzzParse holds the synthetic models of synth_test.go
// (regenerate with: go test -run TestWriteFuzzCorpus -update-corpus).
func FuzzParse(f *testing.F) {
	for _, s := range synthModels() {
		f.Add(s.bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = parseAndPlan(data)
	})
}

// TestWriteFuzzCorpus writes the seed corpus when -update-corpus is set and
// otherwise checks that the committed corpus matches the synthetic models.
func TestWriteFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	models := synthModels()
	names := make([]string, 0, len(models))
	for n := range models {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", models[n].bytes())
		path := filepath.Join(dir, "synth_"+n)
		if *updateCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (regenerate with -update-corpus)", err)
		}
		if string(got) != want {
			t.Errorf("%s is stale (regenerate with -update-corpus)", path)
		}
	}
}
