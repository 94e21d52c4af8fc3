package train

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Confusion is a confusion matrix: Counts[true][predicted].
type Confusion struct {
	Classes []string
	Counts  [][]int
}

// NewConfusion returns an empty matrix over the named classes.
func NewConfusion(classes []string) *Confusion {
	c := &Confusion{Classes: classes, Counts: make([][]int, len(classes))}
	for i := range c.Counts {
		c.Counts[i] = make([]int, len(classes))
	}
	return c
}

// Add counts one prediction.
func (c *Confusion) Add(truth, pred int) { c.Counts[truth][pred]++ }

// Total returns the number of predictions counted.
func (c *Confusion) Total() int {
	n := 0
	for _, row := range c.Counts {
		for _, v := range row {
			n += v
		}
	}
	return n
}

// Accuracy returns the fraction of correct predictions (0 when empty).
func (c *Confusion) Accuracy() float64 {
	right, n := 0, 0
	for i, row := range c.Counts {
		for j, v := range row {
			n += v
			if i == j {
				right += v
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(right) / float64(n)
}

// ClassMetrics holds one class's precision, recall, F1 and support.
type ClassMetrics struct {
	Class                     string
	Precision, Recall, F1     float64
	Support, Predicted, Right int
}

// PerClass returns precision, recall and F1 for every class. A class never
// predicted has precision 0; a class with no examples has recall 0.
func (c *Confusion) PerClass() []ClassMetrics {
	out := make([]ClassMetrics, len(c.Classes))
	for k := range c.Classes {
		m := ClassMetrics{Class: c.Classes[k], Right: c.Counts[k][k]}
		for j := range c.Classes {
			m.Support += c.Counts[k][j]
			m.Predicted += c.Counts[j][k]
		}
		if m.Predicted > 0 {
			m.Precision = float64(m.Right) / float64(m.Predicted)
		}
		if m.Support > 0 {
			m.Recall = float64(m.Right) / float64(m.Support)
		}
		if m.Precision+m.Recall > 0 {
			m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
		}
		out[k] = m
	}
	return out
}

// MacroF1 returns the unweighted mean F1 over classes with examples.
func (c *Confusion) MacroF1() float64 {
	s, n := 0.0, 0
	for _, m := range c.PerClass() {
		if m.Support > 0 {
			s += m.F1
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// String renders the matrix as an aligned text table.
func (c *Confusion) String() string {
	var b strings.Builder
	w := 6
	for _, name := range c.Classes {
		w = max(w, len(name)+1)
	}
	fmt.Fprintf(&b, "%*s", w, "true\\pred")
	for j := range c.Classes {
		fmt.Fprintf(&b, " %5d", j)
	}
	b.WriteByte('\n')
	for i, row := range c.Counts {
		fmt.Fprintf(&b, "%*s", w, c.Classes[i])
		for _, v := range row {
			fmt.Fprintf(&b, " %5d", v)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Argmax returns the index of the largest value in row (the first on ties).
func Argmax(row []float32) int {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return best
}

// TopK returns the indices of the k largest values in row (logits or
// probabilities), largest first; ties go to the lower index.
func TopK[T float32 | float64](row []T, k int) []int {
	idx := make([]int, len(row))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return row[idx[a]] > row[idx[b]] })
	return idx[:min(max(k, 0), len(idx))]
}

// InTopK reports whether label is among the k largest values of row.
func InTopK(row []float32, label, k int) bool {
	v := row[label]
	higher := 0
	for i, x := range row {
		if x > v || (x == v && i < label) {
			higher++
		}
	}
	return higher < k
}

// Softmax returns the softmax of a row of logits in float64.
func Softmax(row []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, float64(v))
	}
	out := make([]float64, len(row))
	s := 0.0
	for i, v := range row {
		out[i] = math.Exp(float64(v) - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}
