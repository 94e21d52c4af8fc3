package data

import "fmt"

// Labeled is what splitting and class weighting need: a length and an
// integer label per sample.
type Labeled interface {
	Len() int
	Label(i int) int
}

// Dataset is an indexed collection of labelled images. Label values lie in
// [0, len(ClassNames())). Load decodes sample i into dst as 8-bit RGB; it
// must be safe to call concurrently with distinct dst, as the loader's
// workers do.
type Dataset interface {
	Labeled
	Load(i int, dst *RGB) error
	ClassNames() []string
}

// Skipped records a file a dataset left out and why.
type Skipped struct {
	Path   string
	Reason string
}

// String returns "path: reason".
func (s Skipped) String() string { return s.Path + ": " + s.Reason }

// ClassCounts returns how many samples of each label ds holds, for labels in
// [0, numClasses). It fails on a label outside that range.
func ClassCounts(ds Labeled, numClasses int) ([]int, error) {
	counts := make([]int, numClasses)
	for i := range ds.Len() {
		l := ds.Label(i)
		if l < 0 || l >= numClasses {
			return nil, fmt.Errorf("data: sample %d has label %d outside [0, %d)", i, l, numClasses)
		}
		counts[l]++
	}
	return counts, nil
}

// numClassesOf returns one more than the largest label (0 when empty).
func numClassesOf(ds Labeled) int {
	n := 0
	for i := range ds.Len() {
		n = max(n, ds.Label(i)+1)
	}
	return n
}

// SubsetDataset is a view of some samples of another dataset, in the order
// of its indices; splits and folds become datasets this way.
type SubsetDataset struct {
	Base    Dataset
	Indices []int
}

// Subset returns the samples of ds at indices, checking each index.
func Subset(ds Dataset, indices []int) (*SubsetDataset, error) {
	n := ds.Len()
	for k, i := range indices {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("data: subset index %d (position %d) outside [0, %d)", i, k, n)
		}
	}
	return &SubsetDataset{Base: ds, Indices: indices}, nil
}

// Len returns the number of samples in the subset.
func (s *SubsetDataset) Len() int { return len(s.Indices) }

// Label returns the label of the subset's i-th sample.
func (s *SubsetDataset) Label(i int) int { return s.Base.Label(s.Indices[i]) }

// Load decodes the subset's i-th sample.
func (s *SubsetDataset) Load(i int, dst *RGB) error { return s.Base.Load(s.Indices[i], dst) }

// ClassNames returns the base dataset's class names.
func (s *SubsetDataset) ClassNames() []string { return s.Base.ClassNames() }
