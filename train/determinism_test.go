package train_test

import (
	"context"
	"math"
	"testing"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/train"
	"github.com/graft-ml/graft/zoo"
)

// TestSameSeedSameWeights trains a whole MobileNetV2 (all layers, batch
// statistics, dropout-free) twice with the same seed: every weight must come
// out bit-identical, whatever the threads' timing.
func TestSameSeedSameWeights(t *testing.T) {
	run := func() map[string][]float32 {
		m, err := zoo.Build("mobilenet_v2", zoo.Options{IncludeTop: true, Classes: 3, InputH: 32, InputW: 32, Width: 0.35, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		net := &train.Network{Graph: m.Graph, Input: m.Graph.Inputs()[0], Feature: m.FeatureNode,
			Preprocess: data.Preprocess{Height: 32, Width: 32, Resize: data.ResizeSquash, Scale: data.ScaleSymmetric},
			Classes:    []string{"a", "b", "c"}}
		_, err = train.Fit(context.Background(), net, noise{n: 48}, noise{n: 12}, train.Config{BatchSize: 16, Seed: 5,
			Phases: []train.Phase{{Name: "all", Epochs: 2, LR: 1e-3}}})
		if err != nil {
			t.Fatal(err)
		}
		w := map[string][]float32{}
		for _, p := range append(m.Graph.Params(), m.Graph.State()...) {
			w[p.Name] = append([]float32(nil), p.Value.Data...)
		}
		return w
	}
	a, b := run(), run()
	for name, v := range a {
		for i := range v {
			if math.Float32bits(v[i]) != math.Float32bits(b[name][i]) {
				t.Fatalf("%s[%d]: %v then %v with the same seed", name, i, v[i], b[name][i])
			}
		}
	}
}
