package nn

import (
	"math/bits"
	"sync"

	"github.com/graft-ml/graft/tensor"
)

// Layers' big results come from a pool of float32 buffers that the Graph
// refills with the activations and gradients it has proven dead (see
// recycler). A buffer from the pool holds stale values, so only results
// whose every element the layer then writes use it.

// minPooled is the smallest buffer, in elements, worth pooling.
const minPooled = 4096

// Buffers are pooled by size class: m<<k elements with m in 4..7, four
// classes per doubling, so that a buffer wastes under a fifth of itself.
var bufferPools [64 * 4]sync.Pool

// classAbove returns the smallest class holding n elements and its size.
func classAbove(n int) (class, size int) {
	k := max(bits.Len(uint(n-1))-3, 0)
	m := (n + 1<<k - 1) >> k
	if m == 8 {
		m, k = 4, k+1
	}
	return k*4 + m - 4, m << k
}

// classBelow returns the largest class no bigger than n (n >= 4).
func classBelow(n int) int {
	k := bits.Len(uint(n)) - 3
	return k*4 + n>>k - 4
}

// poisonBuffers makes putBuffer and getBuffer fill recycled buffers with
// garbage, so that tests catch a result that is not fully written or
// storage recycled while still in use.
var poisonBuffers = false

func poison(b []float32) {
	for i := range b {
		b[i] = float32(i%7) - 1e30
	}
}

// getBuffer returns a buffer of n elements that may hold stale values.
func getBuffer(n int) []float32 {
	if n < minPooled {
		return make([]float32, n)
	}
	class, size := classAbove(n)
	if b, ok := bufferPools[class].Get().(*[]float32); ok {
		if poisonBuffers {
			poison(*b)
		}
		return (*b)[:n]
	}
	return make([]float32, n, size)
}

// putBuffer hands b's storage (its whole capacity) back to the pool; nobody
// may use b afterwards.
func putBuffer(b []float32) {
	if cap(b) < minPooled {
		return
	}
	b = b[:cap(b)]
	if poisonBuffers {
		poison(b)
	}
	bufferPools[classBelow(cap(b))].Put(&b)
}

// newOutput returns a tensor for a layer's result whose every element the
// layer then writes: its data may hold stale values.
func newOutput(shape ...int) *tensor.Tensor {
	return &tensor.Tensor{Shape: append([]int(nil), shape...), Data: getBuffer(tensor.Numel(shape))}
}
