package compute

import "sync"

// scratchFree holds the float32 buffers that the convolution kernels use
// for padded input rows, packed kernels, im2col tiles and per-worker
// partial sums, so that a training loop does not allocate on every call.
// It is a bounded list rather than a sync.Pool because the garbage
// collector empties pools, and re-allocating (and page-faulting in)
// megabyte buffers after every collection costs more than the smaller
// convolutions do.
var scratchFree struct {
	sync.Mutex
	bufs []*[]float32
}

// scratchKeep is how many buffers scratchFree keeps between calls: enough
// for the few buffers each of a few workers holds at once.
const scratchKeep = 24

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
		b := scratchFree.bufs[best]
		last := len(scratchFree.bufs) - 1
		scratchFree.bufs[best] = scratchFree.bufs[last]
		scratchFree.bufs[last] = nil
		scratchFree.bufs = scratchFree.bufs[:last]
		scratchFree.Unlock()
		*b = (*b)[:n]
		return b
	}
	scratchFree.Unlock()
	b := make([]float32, n)
	return &b
}

// putScratch hands a buffer from getScratch back for reuse. When the list
// is full, the smallest buffer is dropped, since large ones cost the most
// to allocate again.
func putScratch(b *[]float32) {
	scratchFree.Lock()
	defer scratchFree.Unlock()
	if len(scratchFree.bufs) < scratchKeep {
		scratchFree.bufs = append(scratchFree.bufs, b)
		return
	}
	small := 0
	for i, f := range scratchFree.bufs {
		if cap(*f) < cap(*scratchFree.bufs[small]) {
			small = i
		}
	}
	if cap(*b) > cap(*scratchFree.bufs[small]) {
		scratchFree.bufs[small] = b
	}
}
