package train

import (
	"math"
	"slices"
	"testing"
)

func TestConfusionMetrics(t *testing.T) {
	c := NewConfusion([]string{"cat", "dog", "owl"})
	// truth cat: 3 right, 1 as dog; truth dog: 2 right; truth owl: 1 as cat.
	for _, p := range [][2]int{{0, 0}, {0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 1}, {2, 0}} {
		c.Add(p[0], p[1])
	}
	if got := c.Accuracy(); math.Abs(got-5.0/7) > 1e-12 {
		t.Fatalf("accuracy %v, want 5/7", got)
	}
	pc := c.PerClass()
	// cat: precision 3/4, recall 3/4; dog: precision 2/3, recall 1; owl: 0, 0.
	want := [][2]float64{{0.75, 0.75}, {2.0 / 3, 1}, {0, 0}}
	for k, w := range want {
		if math.Abs(pc[k].Precision-w[0]) > 1e-12 || math.Abs(pc[k].Recall-w[1]) > 1e-12 {
			t.Fatalf("%s: P %v R %v, want %v", pc[k].Class, pc[k].Precision, pc[k].Recall, w)
		}
	}
	if math.Abs(pc[1].F1-0.8) > 1e-12 || pc[2].F1 != 0 {
		t.Fatalf("F1 dog %v owl %v", pc[1].F1, pc[2].F1)
	}
	if math.Abs(c.MacroF1()-(0.75+0.8+0)/3) > 1e-12 {
		t.Fatalf("macro F1 %v", c.MacroF1())
	}
}

func TestTopK(t *testing.T) {
	row := []float32{0.1, 0.7, 0.7, 0.05, 0.3}
	got := TopK(row, 3)
	if got[0] != 1 || got[1] != 2 || got[2] != 4 {
		t.Fatalf("TopK = %v, want [1 2 4]", got)
	}
	// float64 rows (probabilities), ties to the lower index, k out of range.
	if got := TopK([]float64{0.1, 0.5, 0.1, 0.5, 0.2}, 4); !slices.Equal(got, []int{1, 3, 4, 0}) {
		t.Errorf("TopK = %v, want [1 3 4 0] (ties to the lower index)", got)
	}
	if got := TopK([]float64{0.2, 0.8}, 5); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("TopK(k > len) = %v, want [1 0]", got)
	}
	if got := TopK(row, -1); len(got) != 0 {
		t.Errorf("TopK(k < 0) = %v, want none", got)
	}
	if !InTopK(row, 2, 2) || InTopK(row, 4, 2) || !InTopK(row, 4, 3) {
		t.Fatal("InTopK disagrees with TopK")
	}
	if Argmax(row) != 1 {
		t.Fatalf("Argmax = %d, want 1", Argmax(row))
	}
	p := Softmax([]float32{1, 2, 3})
	if math.Abs(p[2]-0.6652409557748219) > 1e-12 {
		t.Fatalf("softmax %v", p)
	}
}
