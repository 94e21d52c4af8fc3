package train

import (
	"math"
	"testing"

	"github.com/graft-ml/graft/nn"
)

func TestProbabilities(t *testing.T) {
	want := []float64{0.09003057, 0.24472847, 0.66524096}
	for _, p := range [][]float64{Softmax([]float32{1, 2, 3}), Probabilities([]float32{1, 2, 3}, false)} {
		for i := range p {
			if math.Abs(p[i]-want[i]) > 1e-7 {
				t.Errorf("softmax[%d] = %v, want %v", i, p[i], want[i])
			}
		}
	}
	// A row that is a distribution already passes through, and so does
	// any row of a graph that ends in a softmax.
	if p := Probabilities([]float32{0.25, 0.75}, false); p[0] != 0.25 || p[1] != 0.75 {
		t.Errorf("distribution softmaxed again: %v", p)
	}
	if p := Probabilities([]float32{0.2, 0.2}, true); p[0] != float64(float32(0.2)) {
		t.Errorf("a softmax graph's output changed: %v", p)
	}
	if !IsDistribution([]float32{0.25, 0.75}) || !IsDistribution([]float32{0.5, 0.49}) || IsDistribution([]float32{2, -1}) ||
		IsDistribution([]float32{0.2, 0.2}) || IsDistribution([]float32{float32(math.NaN()), 1}) {
		t.Error("IsDistribution misjudges")
	}
}

func TestEndsInSoftmax(t *testing.T) {
	g := nn.NewGraph()
	fc, err := nn.NewDense("fc", nn.DenseConfig{In: 4, Out: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Input("x"); err != nil {
		t.Fatal(err)
	}
	if err := g.Add("fc", fc, "x"); err != nil {
		t.Fatal(err)
	}
	if EndsInSoftmax(g) {
		t.Error("a graph ending in a dense layer reported as ending in a softmax")
	}
	if err := g.Add("prob", nn.NewSoftmax("prob"), "fc"); err != nil {
		t.Fatal(err)
	}
	if !EndsInSoftmax(g) {
		t.Error("a graph ending in a softmax not recognised")
	}
}
