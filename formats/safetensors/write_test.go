package safetensors

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

func mustTensor(t *testing.T, data []float32, shape ...int) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromData(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestWriteReadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	nan := float32(math.NaN())
	entries := []Entry{
		{Name: "conv/kernel", Tensor: mustTensor(t, []float32{1, -2, 3.5, nan, float32(math.Inf(-1)), 1e-40}, 1, 2, 3)},
		{Name: "scalar", DType: F32, Tensor: mustTensor(t, []float32{7})},
		{Name: "empty", Tensor: mustTensor(t, []float32{}, 0)},
		{Name: `quo"te\ü`, Tensor: mustTensor(t, []float32{0.5, 0.25}, 2, 1)},
	}
	meta := map[string]string{"graft": "1", "z": "<&>"}
	if err := Write(path, entries, meta); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hdrLen := int(raw[0]) | int(raw[1])<<8
	if hdrLen%8 != 0 {
		t.Errorf("header length %d not 8-aligned", hdrLen)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Entries) != len(entries) {
		t.Fatalf("read %v", f.Names())
	}
	for i, e := range entries {
		g := f.Entries[i]
		if g.Name != e.Name || g.DType != F32 || !tensor.SameShape(g.Tensor, e.Tensor) {
			t.Fatalf("entry %d: %s %s %v, want %s F32 %v", i, g.Name, g.DType, g.Tensor.Shape, e.Name, e.Tensor.Shape)
		}
		for j, v := range e.Tensor.Data {
			if math.Float32bits(g.Tensor.Data[j]) != math.Float32bits(v) {
				t.Errorf("%s[%d] = %v, want %v", e.Name, j, g.Tensor.Data[j], v)
			}
		}
	}
	if len(f.Metadata) != 2 || f.Metadata["z"] != "<&>" || f.Metadata["graft"] != "1" {
		t.Errorf("metadata %v", f.Metadata)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestWriteRejectsBadEntriesAndKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	good := []Entry{{Name: "a", Tensor: mustTensor(t, []float32{1, 2}, 2)}}
	if err := Write(path, good, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	bad := map[string][]Entry{
		"duplicate":      {good[0], good[0]},
		"empty name":     {{Name: "", Tensor: good[0].Tensor}},
		"metadata name":  {{Name: "__metadata__", Tensor: good[0].Tensor}},
		"invalid utf8":   {{Name: "a\xff", Tensor: good[0].Tensor}},
		"nil tensor":     {{Name: "n"}},
		"shape mismatch": {{Name: "s", Tensor: &tensor.Tensor{Shape: []int{3}, Data: []float32{1}}}},
	}
	for what, entries := range bad {
		if err := Write(path, entries, nil); err == nil {
			t.Errorf("%s: Write succeeded", what)
		}
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a failed Write changed the existing file")
	}
	if names, _ := os.ReadDir(dir); len(names) != 1 {
		t.Errorf("directory holds %d entries after failed writes, want 1", len(names))
	}
	if err := Write(filepath.Join(dir, "no/such/dir/m.safetensors"), good, nil); err == nil {
		t.Error("Write into a missing directory succeeded")
	}
}

func TestEncodeMatchesDecode(t *testing.T) {
	var buf bytes.Buffer
	entries := []Entry{{Name: "w", Tensor: mustTensor(t, []float32{3, 4, 5, 6}, 2, 2)}}
	if err := Encode(&buf, entries, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Decode(buf.Bytes(), "mem")
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata != nil || len(f.Entries) != 1 || f.Entries[0].Tensor.Data[3] != 6 {
		t.Fatalf("decoded %+v", f)
	}
}

type failingReader struct{}

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, os.ErrDeadlineExceeded }

func TestReadReportsIOErrorsWithPath(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "missing.safetensors"))
	if err == nil || !strings.Contains(err.Error(), "missing.safetensors") || errors.Is(err, ErrFormat) {
		t.Errorf("missing file: %v", err)
	}
	_, err = ReadFrom(failingReader{}, 100, "broken.safetensors")
	if !errors.Is(err, os.ErrDeadlineExceeded) || !strings.Contains(err.Error(), "broken.safetensors") {
		t.Errorf("failing reader: %v", err)
	}
}
