package torch

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type expectedTensor struct {
	Shape  []int     `json:"shape"`
	Values []float64 `json:"values"`
}

func loadExpected(t *testing.T) map[string]expectedTensor {
	t.Helper()
	b, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]expectedTensor
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLoadMatchesTorch(t *testing.T) {
	want := loadExpected(t)
	for _, file := range []string{"state_dict.pt", "legacy.pth", "wrapped.pth"} {
		t.Run(file, func(t *testing.T) {
			ck, err := Load(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			sd := ck.StateDict()
			if len(sd) != len(want) {
				t.Fatalf("%d tensors, want %d: %v", len(sd), len(want), ck.Names())
			}
			for name, w := range want {
				g, ok := sd[name]
				if !ok {
					t.Fatalf("tensor %s missing; have %v", name, ck.Names())
				}
				if len(g.Shape) != len(w.Shape) {
					t.Fatalf("%s: shape %v, want %v", name, g.Shape, w.Shape)
				}
				for i := range w.Shape {
					if g.Shape[i] != w.Shape[i] {
						t.Fatalf("%s: shape %v, want %v", name, g.Shape, w.Shape)
					}
				}
				for i, v := range w.Values {
					if float64(g.Data[i]) != float64(float32(v)) {
						t.Fatalf("%s[%d] = %v, want %v", name, i, g.Data[i], v)
					}
				}
			}
		})
	}
}

func TestWrappedCheckpointKeepsMeta(t *testing.T) {
	ck, err := Load("testdata/wrapped.pth")
	if err != nil {
		t.Fatal(err)
	}
	if ck.Meta["epoch"] != int64(3) {
		t.Fatalf("epoch = %v, want 3", ck.Meta["epoch"])
	}
	if _, ok := ck.Tensors["state_dict.module.conv.weight"]; !ok {
		t.Fatalf("raw names: %v", ck.Names())
	}
}

func TestRefusesCode(t *testing.T) {
	_, err := Load("testdata/evil.pt")
	if err == nil || !strings.Contains(err.Error(), "refusing") || !strings.Contains(err.Error(), "evil.pt") {
		t.Fatalf("err = %v, want a refusal naming the file", err)
	}
}

func TestCorruptFilesGiveErrors(t *testing.T) {
	for _, file := range []string{"state_dict.pt", "legacy.pth"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		for cut := 0; cut < len(data); cut += 7 {
			if _, err := Decode(data[:cut], file); err == nil {
				t.Fatalf("%s truncated to %d bytes loaded without error", file, cut)
			}
		}
		for i := 0; i < len(data); i += 3 {
			b := append([]byte(nil), data...)
			b[i] ^= 0x5a
			Decode(b, file) // must not panic; an error or (rarely) a changed value are both fine
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, file := range []string{"state_dict.pt", "legacy.pth", "wrapped.pth", "evil.pt"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ck, err := Decode(data, "fuzz")
		if err != nil {
			return
		}
		for name, tt := range ck.Tensors {
			n := 1
			for _, d := range tt.Shape {
				n *= d
			}
			if n != len(tt.Data) {
				t.Fatalf("%s: shape %v with %d values", name, tt.Shape, len(tt.Data))
			}
		}
	})
}
