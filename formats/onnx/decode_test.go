package onnx

import (
	"os"
	"strings"
	"testing"
)

func TestDecodeTorchExport(t *testing.T) {
	m, err := Parse("testdata/smallnet.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if m.Opsets[""] != 13 || m.ProducerName != "pytorch" {
		t.Fatalf("opset %d, producer %q", m.Opsets[""], m.ProducerName)
	}
	if len(m.Graph.Inputs) != 1 || m.Graph.Inputs[0].Name != "input" {
		t.Fatalf("inputs %+v", m.Graph.Inputs)
	}
	if d := m.Graph.Inputs[0].Dims; len(d) != 4 || d[0] != 2 || d[1] != 3 || d[2] != 12 || d[3] != 12 {
		t.Fatalf("input dims %v, want [2 3 12 12]", d)
	}
	ops := map[string]int{}
	for _, n := range m.Graph.Nodes {
		ops[n.OpType]++
	}
	if ops["Conv"] != 6 || ops["Gemm"] != 1 || ops["Softmax"] != 1 {
		t.Fatalf("op counts %v", ops)
	}
	found := false
	for _, in := range m.Graph.Initializers {
		if in.Name == "fc.weight" {
			found = true
			w, err := in.Float32()
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Shape) != 2 || w.Shape[0] != 5 || w.Shape[1] != 54 {
				t.Fatalf("fc.weight shape %v, want [5 54]", w.Shape)
			}
		}
	}
	if !found {
		t.Fatal("fc.weight initializer missing")
	}
}

func TestDecodeCorruptFiles(t *testing.T) {
	data, err := os.ReadFile("testdata/smallnet.onnx")
	if err != nil {
		t.Fatal(err)
	}
	for cut := 1; cut < len(data); cut += 13 {
		_, err := Decode(data[:cut], "cut.onnx")
		if err == nil {
			t.Fatalf("truncated to %d bytes, decoded without error", cut)
		}
		if !strings.Contains(err.Error(), "cut.onnx") {
			t.Fatalf("error does not name the file: %v", err)
		}
	}
	for i := 0; i < len(data); i += 5 {
		b := append([]byte(nil), data...)
		b[i] ^= 0xa5
		Decode(b, "flip.onnx")
	}
}

func FuzzDecode(f *testing.F) {
	data, err := os.ReadFile("testdata/smallnet.onnx")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:200])
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, "fuzz")
		if err != nil {
			return
		}
		for i := range m.Graph.Initializers {
			m.Graph.Initializers[i].Float32()
		}
	})
}
