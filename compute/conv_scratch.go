package compute

import "sync"

// scratchPool recycles the float32 buffers that the convolution kernels use
// for im2col tiles and per-worker partial sums, so that a training loop does
// not allocate on every call.
var scratchPool sync.Pool

// getScratch returns a buffer of exactly n floats with unspecified contents.
func getScratch(n int) *[]float32 {
	if v, ok := scratchPool.Get().(*[]float32); ok {
		if cap(*v) >= n {
			*v = (*v)[:n]
			return v
		}
		// Too small: drop it and let a bigger one take its place.
	}
	b := make([]float32, n)
	return &b
}

// putScratch hands a buffer from getScratch back for reuse.
func putScratch(b *[]float32) { scratchPool.Put(b) }
