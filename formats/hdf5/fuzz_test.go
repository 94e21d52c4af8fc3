package hdf5

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzOpen opens arbitrary bytes as HDF5, walks every object and reads every
// attribute and dataset. The seed corpus in testdata/fuzz/FuzzOpen holds
// small files written by h5py (see testdata/gen.py). Any outcome but a panic
// or a hang is fine.
func FuzzOpen(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = walkAll(data)
	})
}

// TestSeedCorpusIsValid checks that every seed written by gen.py is a
// readable HDF5 file, so the fuzzer starts from inputs that reach deep into
// the reader. Inputs the fuzzer found (named by hash) are regression cases.
func TestSeedCorpusIsValid(t *testing.T) {
	names, err := filepath.Glob("testdata/fuzz/FuzzOpen/*")
	if err != nil || len(names) < 4 {
		t.Fatalf("seed corpus: %v %v", names, err)
	}
	for _, name := range names {
		if !strings.Contains(filepath.Base(name), "_") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(b), "\n", 3)
		if len(lines) < 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s: not a Go fuzz corpus file", name)
		}
		data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := walkAll([]byte(data)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
