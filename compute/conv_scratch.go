package compute

import "sync"

// scratchFree holds the float32 buffers that the convolution kernels use
// for padded input rows, packed kernels, im2col tiles and per-worker
// partial sums, so that a training loop does not allocate on every call.
// It is a bounded list rather than a sync.Pool because the garbage
// collector empties pools, and re-allocating (and page-faulting in)
// megabyte buffers after every collection costs more than the smaller
// convolutions do.
var scratchFree scratchList

// scratchList is a list of free buffers and their total capacity; its
// users hold the mutex.
type scratchList struct {
	sync.Mutex
	bufs   []*[]float32
	floats int // total capacity of bufs
}

// take removes buffer i from the list and returns it.
func (l *scratchList) take(i int) *[]float32 {
	b := l.bufs[i]
	last := len(l.bufs) - 1
	l.bufs[i] = l.bufs[last]
	l.bufs[last] = nil
	l.bufs = l.bufs[:last]
	l.floats -= cap(*b)
	return b
}

// scratchKeep is how many buffers scratchFree keeps between calls: enough
// for the few buffers each of a few workers holds at once.
const scratchKeep = 24

// scratchKeepFloats bounds the floats scratchFree keeps in all (128 MiB),
// so that a run of unusually large shapes does not pin memory for good.
const scratchKeepFloats = 1 << 25

// getScratch returns a buffer of exactly n floats with unspecified
// contents: the smallest free one that is large enough, or a new one.
func getScratch(n int) *[]float32 {
	scratchFree.Lock()
	best := -1
	for i, b := range scratchFree.bufs {
		if cap(*b) >= n && (best < 0 || cap(*b) < cap(*scratchFree.bufs[best])) {
			best = i
		}
	}
	if best >= 0 {
		b := scratchFree.take(best)
		scratchFree.Unlock()
		*b = (*b)[:n]
		return b
	}
	scratchFree.Unlock()
	b := make([]float32, n)
	return &b
}

// putScratch hands a buffer from getScratch back for reuse. When the list
// is full (by count or by size), the smallest buffers are dropped first,
// since large ones cost the most to allocate again.
func putScratch(b *[]float32) {
	if cap(*b) > scratchKeepFloats {
		return
	}
	scratchFree.Lock()
	defer scratchFree.Unlock()
	scratchFree.bufs = append(scratchFree.bufs, b)
	scratchFree.floats += cap(*b)
	for len(scratchFree.bufs) > scratchKeep || scratchFree.floats > scratchKeepFloats {
		small := 0
		for i, f := range scratchFree.bufs {
			if cap(*f) < cap(*scratchFree.bufs[small]) {
				small = i
			}
		}
		scratchFree.take(small)
	}
}
