package tflite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// TestGraphMatchesPlan runs every synthetic model through the nn.Graph and
// the reference interpreter and compares all outputs.
func TestGraphMatchesPlan(t *testing.T) {
	for name, s := range synthModels() {
		f, err := Parse(s.bytes(), name+".tflite")
		if err != nil {
			t.Fatal(err)
		}
		m, err := FromFile(f, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// A batch of 2, though the file declares 1: the batch axis stays free.
		x := tensor.New(append([]int{2}, m.InputShape[1:]...)...)
		for i := range x.Data {
			x.Data[i] = float32(i%11)*0.3 - 1.2
		}
		want, err := runPlan(m.Plan, x)
		if err != nil {
			t.Fatal(err)
		}
		got := graphForward(t, m, x)
		for _, o := range m.Plan.Outputs {
			if got[o].Shape[0] != 2 {
				t.Fatalf("%s: output %v lost the batch of 2", name, got[o].Shape)
			}
			w := make([]float64, want[o].Size())
			for i, v := range want[o].Data {
				w[i] = float64(v)
			}
			if !tensor.EqualShapes(got[o].Shape, want[o].Shape) {
				t.Fatalf("%s: graph output %v, plan %v", name, got[o].Shape, want[o].Shape)
			}
			closeTo(t, name, got[o].Data, w, 1e-5)
		}
	}
}

func TestLoadOptionsAndNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "head.tflite")
	if err := os.WriteFile(path, synthHead().bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.InputName != "input" || !tensor.EqualShapes(m.InputShape, []int{1, 2, 2, 3}) || m.Input.Quantized {
		t.Fatalf("input %q %v %+v", m.InputName, m.InputShape, m.Input)
	}
	if strings.Join(m.OutputNames, ",") != "prob" || m.LogitsName != "logits" {
		t.Fatalf("outputs %v, logits %q", m.OutputNames, m.LogitsName)
	}
	if n, ok := m.NodeName("flat"); !ok || n != "flat" {
		t.Fatalf("NodeName(flat) = %q, %v", n, ok)
	}
	m, err = LoadWith(path, Options{Logits: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.Graph.Outputs(), ","); got != "prob,logits" {
		t.Fatalf("graph outputs %s, want prob,logits", got)
	}
	if _, err := LoadWith(filepath.Join(t.TempDir(), "missing.tflite"), Options{}); err == nil {
		t.Fatal("missing file: no error")
	}
	conv := filepath.Join(t.TempDir(), "conv.tflite")
	if err := os.WriteFile(conv, synthConv().bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadWith(conv, Options{Logits: true}); err == nil || !strings.Contains(err.Error(), "SOFTMAX") {
		t.Fatalf("logits of a model without softmax: %v", err)
	}
}

// TestLoadSharedModels loads every shared .tflite file into a graph and
// checks its parameter count against the file's own constants.
func TestLoadSharedModels(t *testing.T) {
	shared := sharedDir(t)
	paths, err := filepath.Glob(filepath.Join(shared, "coral", "*.tflite"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no models: %v", err)
	}
	for _, path := range paths {
		m, err := Load(path)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(path), err)
			continue
		}
		var want, got int
		for _, tn := range m.Plan.Tensors {
			if tn.Data != nil && (tn.Type == Uint8 || tn.Type == Int8 || (tn.Type == Int32 && tn.Quant != nil)) {
				want += numel(tn.Shape)
			}
		}
		for _, p := range m.Graph.Params() {
			got += p.Value.Size()
		}
		if got != want {
			t.Errorf("%s: graph has %d parameters, the file %d quantised constants", filepath.Base(path), got, want)
		}
		if !m.Input.Quantized || m.Input.Type != Uint8 {
			t.Errorf("%s: input quantisation %+v", filepath.Base(path), m.Input)
		}
	}
}
