package data

import (
	"math"
	"slices"
	"testing"
)

// labels is a Labeled made of a label slice.
type labels []int

func (l labels) Len() int        { return len(l) }
func (l labels) Label(i int) int { return l[i] }

// imbalanced returns 100 of class 0, 50 of class 1 and 10 of class 2, interleaved.
func imbalanced() labels {
	var l labels
	for i := range 160 {
		switch {
		case i%16 == 0:
			l = append(l, 2)
		case i%3 == 0 && len(l) > 0:
			l = append(l, 1)
		default:
			l = append(l, 0)
		}
	}
	return l
}

func countsOf(ds labels, idx []int, k int) []int {
	c := make([]int, k)
	for _, i := range idx {
		c[ds[i]]++
	}
	return c
}

func TestStratifiedSplit(t *testing.T) {
	ds := imbalanced()
	total := countsOf(ds, SequentialSampler{ds.Len()}.Indices(0, 0), 3)
	parts, err := StratifiedSplit(ds, 42, 0.7, 0.2, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	seen := make([]bool, ds.Len())
	for p, part := range parts {
		for _, i := range part {
			if seen[i] {
				t.Fatalf("sample %d in two parts", i)
			}
			seen[i] = true
		}
		c := countsOf(ds, part, 3)
		for k := range 3 {
			want := float64(total[k]) * []float64{0.7, 0.2, 0.1}[p]
			if math.Abs(float64(c[k])-want) >= 1 {
				t.Errorf("part %d class %d: %d samples, want within 1 of %.1f", p, k, c[k], want)
			}
		}
	}
	for i, s := range seen {
		if !s {
			t.Fatalf("sample %d in no part", i)
		}
	}
	// Exact counts for this dataset.
	if c := countsOf(ds, parts[2], 3); c[2] != 1 {
		t.Errorf("test part has %d of the 10 class-2 samples, want 1", c[2])
	}
	// Same seed, same split; other seed, other split.
	again, _ := StratifiedSplit(ds, 42, 0.7, 0.2, 0.1)
	other, _ := StratifiedSplit(ds, 43, 0.7, 0.2, 0.1)
	if !slices.Equal(parts[1], again[1]) {
		t.Error("same seed gave a different split")
	}
	if slices.Equal(parts[1], other[1]) {
		t.Error("different seeds gave the same split")
	}
	for _, bad := range [][]float64{{1}, {0.5, 0.6}, {-0.5, 1.5}} {
		if _, err := StratifiedSplit(ds, 1, bad...); err == nil {
			t.Errorf("fractions %v accepted", bad)
		}
	}
}

func TestApportion(t *testing.T) {
	if got := apportion(10, []float64{0.7, 0.2, 0.1}); !slices.Equal(got, []int{7, 2, 1}) {
		t.Errorf("apportion(10) = %v", got)
	}
	if got := apportion(7, []float64{0.5, 0.25, 0.25}); !slices.Equal(got, []int{3, 2, 2}) {
		t.Errorf("apportion(7) = %v, want [3 2 2] (remainders .5, .75, .75)", got)
	}
}

func TestStratifiedKFold(t *testing.T) {
	ds := imbalanced()
	folds, err := StratifiedKFold(ds, 5, 7)
	if err != nil {
		t.Fatal(err)
	}
	inVal := make([]int, ds.Len())
	for f, fold := range folds {
		if len(fold.Train)+len(fold.Val) != ds.Len() {
			t.Fatalf("fold %d covers %d samples", f, len(fold.Train)+len(fold.Val))
		}
		if len(fold.Val) != 32 {
			t.Errorf("fold %d validates on %d, want 32", f, len(fold.Val))
		}
		c := countsOf(ds, fold.Val, 3)
		if c[0] != 20 || c[1] != 10 || c[2] != 2 {
			t.Errorf("fold %d class counts %v, want [20 10 2]", f, c)
		}
		for _, i := range fold.Val {
			inVal[i]++
		}
	}
	for i, n := range inVal {
		if n != 1 {
			t.Fatalf("sample %d validated %d times", i, n)
		}
	}
	if _, err := StratifiedKFold(ds, 1, 0); err == nil {
		t.Error("k = 1 accepted")
	}
}

func TestClassWeights(t *testing.T) {
	ds := imbalanced()
	c := countsOf(ds, SequentialSampler{ds.Len()}.Indices(0, 0), 3)
	if c[0] != 100 || c[1] != 50 || c[2] != 10 {
		t.Fatalf("fixture counts %v changed", c)
	}
	w, err := ClassWeights(ds, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{160.0 / 300, 160.0 / 150, 160.0 / 30}
	for k := range w {
		if math.Abs(w[k]-want[k]) > 1e-12 {
			t.Errorf("weight %d = %v, want %v", k, w[k], want[k])
		}
	}
	if _, err := ClassWeights(ds, 4); err == nil {
		t.Error("class with no samples accepted")
	}
}

func TestBalancedSampler(t *testing.T) {
	ds := imbalanced()
	s, err := NewBalancedSampler(ds, 30000)
	if err != nil {
		t.Fatal(err)
	}
	idx := s.Indices(3, 99)
	c := countsOf(ds, idx, 3)
	for k, n := range c {
		if n < 9500 || n > 10500 {
			t.Errorf("class %d drawn %d times of 30000, want about 10000", k, n)
		}
	}
	if !slices.Equal(idx, s.Indices(3, 99)) {
		t.Error("same epoch and seed drew differently")
	}
	if slices.Equal(idx[:50], s.Indices(4, 99)[:50]) {
		t.Error("epochs 3 and 4 drew the same")
	}
}

func TestShuffleSampler(t *testing.T) {
	s := ShuffleSampler{N: 50}
	a, b := s.Indices(0, 1), s.Indices(1, 1)
	if slices.Equal(a, b) {
		t.Error("two epochs shuffled identically")
	}
	sorted := slices.Clone(a)
	slices.Sort(sorted)
	if !slices.Equal(sorted, SequentialSampler{50}.Indices(0, 0)) {
		t.Error("shuffle is not a permutation")
	}
}
