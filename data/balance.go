package data

import (
	"fmt"
	"slices"
)

// ClassWeights returns the "balanced" weight of each class as scikit-learn
// computes it, n / (k * count[c]), so rare classes weigh more. It fails when
// a class in [0, numClasses) has no samples.
func ClassWeights(ds Labeled, numClasses int) ([]float64, error) {
	counts, err := ClassCounts(ds, numClasses)
	if err != nil {
		return nil, err
	}
	w := make([]float64, numClasses)
	for c, n := range counts {
		if n == 0 {
			return nil, fmt.Errorf("data: class weights: class %d has no samples", c)
		}
		w[c] = float64(ds.Len()) / float64(numClasses*n)
	}
	return w, nil
}

// Sampler chooses the sample indices of one epoch. The result must depend
// only on the epoch and the seed.
type Sampler interface {
	Indices(epoch int, seed uint64) []int
}

// SequentialSampler yields 0 … N-1 every epoch.
type SequentialSampler struct{ N int }

// Indices returns 0 … N-1.
func (s SequentialSampler) Indices(int, uint64) []int {
	out := make([]int, s.N)
	for i := range out {
		out[i] = i
	}
	return out
}

// ShuffleSampler yields a fresh permutation of 0 … N-1 each epoch.
type ShuffleSampler struct{ N int }

// Indices returns the epoch's permutation.
func (s ShuffleSampler) Indices(epoch int, seed uint64) []int {
	r := newRand(DeriveSeed(seed, streamShuffle, uint64(epoch)))
	return r.Perm(s.N)
}

// BalancedSampler draws NumSamples indices per epoch with replacement, each
// sample with probability proportional to 1/count(its class), so every
// class is drawn equally often on average (PyTorch's WeightedRandomSampler
// with balanced weights).
type BalancedSampler struct {
	NumSamples int
	cum        []float64 // cumulative sample weights
}

// NewBalancedSampler builds a balanced sampler over ds; numSamples 0 means
// ds.Len().
func NewBalancedSampler(ds Labeled, numSamples int) (*BalancedSampler, error) {
	n := ds.Len()
	if n == 0 {
		return nil, fmt.Errorf("data: balanced sampler: empty dataset")
	}
	counts, err := ClassCounts(ds, numClassesOf(ds))
	if err != nil {
		return nil, err
	}
	if numSamples <= 0 {
		numSamples = n
	}
	s := &BalancedSampler{NumSamples: numSamples, cum: make([]float64, n)}
	total := 0.0
	for i := range n {
		total += 1 / float64(counts[ds.Label(i)])
		s.cum[i] = total
	}
	return s, nil
}

// Indices returns the epoch's draws.
func (s *BalancedSampler) Indices(epoch int, seed uint64) []int {
	r := newRand(DeriveSeed(seed, streamSampler, uint64(epoch)))
	total := s.cum[len(s.cum)-1]
	out := make([]int, s.NumSamples)
	for k := range out {
		u := r.Float64() * total
		i, _ := slices.BinarySearchFunc(s.cum, u, func(c, u float64) int {
			if c <= u {
				return -1
			}
			return 1
		})
		out[k] = min(i, len(s.cum)-1)
	}
	return out
}
