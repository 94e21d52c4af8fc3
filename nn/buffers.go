package nn

import (
	"math/bits"
	"sync"

	"github.com/graft-ml/graft/tensor"
)

// Layers' big results come from a pool of float32 buffers that the Graph
// refills with the activations and gradients it has proven dead (see
// recycler); layers' internal scratch (max pooling's argmax) comes from a
// pool of int32 buffers they refill themselves. A buffer from a pool holds
// stale values, so only results whose every element the layer then writes
// use one.

// minPooled is the smallest buffer, in elements, worth pooling.
const minPooled = 4096

// slicePool pools slices by size class: m<<k elements with m in 4..7, four
// classes per doubling, so that a buffer wastes under a fifth of itself.
type slicePool[T any] struct {
	classes [64 * 4]sync.Pool
	// poison, when set (by tests), scribbles over each new buffer and each
	// buffer put back, so that a result not fully written, or storage
	// recycled while still in use, shows.
	poison func([]T)
	// bypass, when set (by tests), makes get allocate zeroed slices and put
	// drop them, as if there were no pool.
	bypass bool
}

var (
	floatBuffers slicePool[float32]
	indexBuffers slicePool[int32]
)

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

// get returns a slice of n elements that may hold stale values.
func (p *slicePool[T]) get(n int) []T {
	if n < minPooled || p.bypass {
		return make([]T, n)
	}
	class, size := classAbove(n)
	if b, ok := p.classes[class].Get().(*[]T); ok {
		return (*b)[:n]
	}
	b := make([]T, n, size)
	if p.poison != nil {
		p.poison(b)
	}
	return b
}

// put hands b's storage (its whole capacity) back to the pool; nobody may
// use b afterwards.
func (p *slicePool[T]) put(b []T) {
	if cap(b) < minPooled || p.bypass {
		return
	}
	b = b[:cap(b)]
	if p.poison != nil {
		p.poison(b)
	}
	p.classes[classBelow(cap(b))].Put(&b)
}

// getBuffer returns a float32 buffer of n elements that may hold stale
// values.
func getBuffer(n int) []float32 { return floatBuffers.get(n) }

// putBuffer hands b's storage back to the float32 pool.
func putBuffer(b []float32) { floatBuffers.put(b) }

// newOutput returns a tensor for a layer's result whose every element the
// layer then writes: its data may hold stale values.
func newOutput(shape ...int) *tensor.Tensor {
	return &tensor.Tensor{Shape: append([]int(nil), shape...), Data: getBuffer(tensor.Numel(shape))}
}
