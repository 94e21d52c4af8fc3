package nn

import (
	"slices"
	"unsafe"

	"github.com/graft-ml/graft/tensor"
)

// recycler hands the storage of a Graph pass's dead activations and
// gradients back to the buffer pool, so that the next layer (or the next
// step) writes into it instead of allocating and zeroing fresh memory.
//
// Storage is recycled only when all of these hold: one of nn's own layers
// made it (they return fresh storage or a view of an input, and keep
// nothing after Backward or Release), nothing still in the pass shares it,
// and it overlaps nothing that comes from outside the pass or leaves it:
// graph inputs and outputs, gradients the caller passes in or gets back,
// and results of layers from other packages (which may return storage they
// keep, such as constants).
type recycler struct {
	// deferred are dead activations a layer still keeps for Backward;
	// they are recycled when the pass ends.
	deferred []*tensor.Tensor
	// foreign are the address ranges never to recycle during this pass.
	foreign []memRange
	// pins are address ranges that a layer from another package may keep
	// until the pass ends.
	pins []memRange
}

// memRange is the address range of a slice's backing storage.
type memRange struct{ lo, hi uintptr }

func rangeOf(s []float32) memRange {
	if cap(s) == 0 {
		return memRange{}
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return memRange{lo, lo + uintptr(cap(s))*4}
}

func (r memRange) overlaps(o memRange) bool { return r.lo < o.hi && o.lo < r.hi }

// sharesStorage reports whether a and b overlap in memory.
func sharesStorage(a, b *tensor.Tensor) bool {
	return a != nil && b != nil && rangeOf(a.Data).overlaps(rangeOf(b.Data))
}

// ownsOutputs reports whether l is one of nn's layers, whose results are
// fresh storage or views of their inputs, never storage they keep.
func ownsOutputs(l Layer) bool {
	switch l.(type) {
	case *Conv2D, *DepthwiseConv2D, *BatchNorm, *Activation, *Dense, *MaxPool2D, *AvgPool2D,
		*GlobalPool, *Add, *Multiply, *Concat, *Reshape, *ZeroPadding2D, *Softmax, *Dropout:
		return true
	}
	return false
}

// keeper is implemented by nn's layers (through cache): the tensors the
// last training Forward kept for Backward.
type keeper interface{ kept() []*tensor.Tensor }

func (c *cache) kept() []*tensor.Tensor { return c.ts }

// keeps reports whether l may still hold t's storage: always for a layer
// that does not say what it keeps.
func keeps(l Layer, t *tensor.Tensor) bool {
	k, ok := l.(keeper)
	if !ok {
		return true
	}
	for _, u := range k.kept() {
		if sharesStorage(u, t) {
			return true
		}
	}
	return false
}

// protect marks t's storage as never to be recycled during this pass.
func (r *recycler) protect(t *tensor.Tensor) {
	if t != nil && cap(t.Data) > 0 {
		r.foreign = append(r.foreign, rangeOf(t.Data))
	}
}

// pin marks t's storage as possibly kept until the pass ends.
func (r *recycler) pin(t *tensor.Tensor) {
	if t != nil && cap(t.Data) > 0 {
		r.pins = append(r.pins, rangeOf(t.Data))
	}
}

// isForeign reports whether t overlaps protected storage.
func (r *recycler) isForeign(t *tensor.Tensor) bool { return overlapsAny(r.foreign, t) }

// pinned reports whether t overlaps pinned storage.
func (r *recycler) pinned(t *tensor.Tensor) bool { return overlapsAny(r.pins, t) }

func overlapsAny(rs []memRange, t *tensor.Tensor) bool {
	rt := rangeOf(t.Data)
	for _, f := range rs {
		if f.overlaps(rt) {
			return true
		}
	}
	return false
}

// recycle hands t's storage to the pool unless it is small or foreign. The
// caller guarantees that nothing else in the pass shares it.
func (r *recycler) recycle(t *tensor.Tensor) {
	if t == nil || cap(t.Data) < minPooled || r.isForeign(t) {
		return
	}
	putBuffer(t.Data)
}

// later keeps t, which a layer holds for Backward, to recycle when the pass
// ends.
func (r *recycler) later(t *tensor.Tensor) {
	if cap(t.Data) >= minPooled {
		r.deferred = append(r.deferred, t)
	}
}

// flush recycles the deferred activations (each storage once; storage
// partly shared between two of them is left alone) and starts afresh. Call
// it only when no layer keeps anything from the pass.
func (r *recycler) flush() {
	ts := r.deferred
	slices.SortFunc(ts, func(a, b *tensor.Tensor) int {
		ra, rb := rangeOf(a.Data), rangeOf(b.Data)
		if ra.lo != rb.lo {
			return cmpAddr(ra.lo, rb.lo)
		}
		return cmpAddr(ra.hi, rb.hi)
	})
	var reach uintptr // the furthest end of the ranges before ts[i]
	for i, t := range ts {
		rt := rangeOf(t.Data)
		if i > 0 && rangeOf(ts[i-1].Data) == rt {
			continue // the same storage again (a view)
		}
		ok := reach <= rt.lo
		reach = max(reach, rt.hi)
		for j := i + 1; j < len(ts) && ok; j++ {
			rn := rangeOf(ts[j].Data)
			if rn.lo >= rt.hi {
				break
			}
			ok = rn == rt
		}
		if ok {
			r.recycle(t)
		}
	}
	r.reset()
}

// reset forgets the pass without recycling anything more.
func (r *recycler) reset() {
	clear(r.deferred)
	r.deferred, r.foreign, r.pins = r.deferred[:0], r.foreign[:0], r.pins[:0]
}

func cmpAddr(a, b uintptr) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
