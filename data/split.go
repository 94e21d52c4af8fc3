package data

import (
	"fmt"
	"math"
	"slices"
)

// StratifiedSplit divides the samples of ds into len(fractions) parts
// (train/val/test, say 0.8, 0.1, 0.1) keeping each class's proportions: each
// class's samples are shuffled with seed and cut by the fractions, rounding
// so that the part sizes add up to the class size (largest remainders get
// the spare samples). Fractions must be non-negative and sum to 1. Each part
// is returned sorted.
func StratifiedSplit(ds Labeled, seed uint64, fractions ...float64) ([][]int, error) {
	if len(fractions) < 2 {
		return nil, fmt.Errorf("data: split: need at least two fractions, got %v", fractions)
	}
	sum := 0.0
	for _, f := range fractions {
		if !(f >= 0) {
			return nil, fmt.Errorf("data: split: fraction %v is negative", f)
		}
		sum += f
	}
	if math.Abs(sum-1) > 1e-6 {
		return nil, fmt.Errorf("data: split: fractions %v sum to %v, want 1", fractions, sum)
	}
	byClass, err := shuffledByClass(ds, seed)
	if err != nil {
		return nil, err
	}
	parts := make([][]int, len(fractions))
	for _, idx := range byClass {
		counts := apportion(len(idx), fractions)
		at := 0
		for p, n := range counts {
			parts[p] = append(parts[p], idx[at:at+n]...)
			at += n
		}
	}
	for _, p := range parts {
		slices.Sort(p)
	}
	return parts, nil
}

// apportion splits n into len(fractions) integers summing to n, by the
// largest-remainder method (ties go to the earlier part).
func apportion(n int, fractions []float64) []int {
	counts := make([]int, len(fractions))
	rem := make([]float64, len(fractions))
	left := n
	for i, f := range fractions {
		exact := float64(n) * f
		counts[i] = int(math.Floor(exact + 1e-9))
		rem[i] = exact - float64(counts[i])
		left -= counts[i]
	}
	for ; left > 0; left-- {
		best := 0
		for i := range rem {
			if rem[i] > rem[best]+1e-12 {
				best = i
			}
		}
		counts[best]++
		rem[best] = -1
	}
	return counts
}

// shuffledByClass returns each class's sample indices, shuffled with seed.
func shuffledByClass(ds Labeled, seed uint64) ([][]int, error) {
	n := ds.Len()
	if n == 0 {
		return nil, fmt.Errorf("data: split: empty dataset")
	}
	k := numClassesOf(ds)
	byClass := make([][]int, k)
	for i := range n {
		l := ds.Label(i)
		if l < 0 {
			return nil, fmt.Errorf("data: split: sample %d has negative label %d", i, l)
		}
		byClass[l] = append(byClass[l], i)
	}
	for c, idx := range byClass {
		r := newRand(DeriveSeed(seed, streamSplit, uint64(c)))
		r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	}
	return byClass, nil
}

// Fold is one round of k-fold cross-validation: the samples to train on
// and the held-out samples to validate on, each sorted.
type Fold struct {
	Train, Val []int
}

// StratifiedKFold divides ds into k folds with each class spread as evenly
// as possible over them (class sizes per fold differ by at most one, and so
// do fold sizes), shuffled with seed, and returns the k train/validation
// pairs.
func StratifiedKFold(ds Labeled, k int, seed uint64) ([]Fold, error) {
	if k < 2 {
		return nil, fmt.Errorf("data: k-fold: k = %d, want at least 2", k)
	}
	if k > ds.Len() {
		return nil, fmt.Errorf("data: k-fold: k = %d exceeds the %d samples", k, ds.Len())
	}
	byClass, err := shuffledByClass(ds, seed)
	if err != nil {
		return nil, err
	}
	// Deal the class-ordered sequence round-robin: each class lands evenly
	// and the fold sizes stay within one of each other.
	fold := make([]int, ds.Len())
	pos := 0
	for _, idx := range byClass {
		for _, i := range idx {
			fold[i] = pos % k
			pos++
		}
	}
	folds := make([]Fold, k)
	for i, f := range fold {
		for j := range folds {
			if j == f {
				folds[j].Val = append(folds[j].Val, i)
			} else {
				folds[j].Train = append(folds[j].Train, i)
			}
		}
	}
	return folds, nil
}
