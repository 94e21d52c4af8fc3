package graft_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/graft-ml/graft"
	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/formats/graftfile"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// tinyClassifier saves a 2x2-pixel, three-class linear classifier, ending
// in a softmax layer when withSoftmax is set, and loads it back.
func tinyClassifier(t *testing.T, withSoftmax bool) *graft.Model {
	t.Helper()
	g := nn.NewGraph()
	fc, err := nn.NewDense("fc", nn.DenseConfig{In: 12, Out: 3, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i := range fc.Kernel.Value.Data {
		fc.Kernel.Value.Data[i] = float32(i%7) - 3
	}
	steps := []struct {
		name  string
		layer nn.Layer
		in    string
	}{{"flatten", nn.NewFlatten("flatten"), "x"}, {"fc", fc, "flatten"}}
	if withSoftmax {
		steps = append(steps, struct {
			name  string
			layer nn.Layer
			in    string
		}{"prob", nn.NewSoftmax("prob"), "fc"})
	}
	if err := g.Input("x"); err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if err := g.Add(s.name, s.layer, s.in); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "tiny.graft")
	pre := data.Preprocess{Height: 2, Width: 2, Resize: data.ResizeSquash, Scale: data.ScaleUnit}
	if err := graftfile.Save(path, &graftfile.Model{Graph: g, Preprocess: pre, Labels: []string{"a", "b", "c"}}); err != nil {
		t.Fatal(err)
	}
	m, err := graft.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Predict's probabilities are the softmax of the logits, whether the graph
// ends in a softmax layer (applied once, not twice) or not.
func TestPredictAppliesSoftmaxOnce(t *testing.T) {
	img := &data.RGB{W: 2, H: 2, Pix: []uint8{255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128}}
	x := tensor.New(1, 2, 2, 3)
	for i, v := range img.Pix {
		x.Data[i] = float32(v) / 255
	}
	var want []float64
	for _, withSoftmax := range []bool{false, true} {
		m := tinyClassifier(t, withSoftmax)
		if want == nil {
			outs, err := m.Network().Graph.Forward([]*tensor.Tensor{x}, false)
			if err != nil {
				t.Fatal(err)
			}
			logits := outs[0].Data
			var sum float64
			for _, v := range logits {
				want = append(want, math.Exp(float64(v)))
				sum += want[len(want)-1]
			}
			for i := range want {
				want[i] /= sum
			}
		}
		preds, err := m.Predict(img, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(preds) != 3 {
			t.Fatalf("softmax layer %v: %d predictions, want 3", withSoftmax, len(preds))
		}
		for r, p := range preds {
			if math.Abs(p.Probability-want[p.Index]) > 1e-6 {
				t.Errorf("softmax layer %v: class %s probability %v, want %v", withSoftmax, p.Class, p.Probability, want[p.Index])
			}
			if r > 0 && p.Probability > preds[r-1].Probability {
				t.Errorf("softmax layer %v: predictions out of order: %+v", withSoftmax, preds)
			}
		}
	}
}
