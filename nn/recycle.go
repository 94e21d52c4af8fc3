package nn

import (
	"slices"
	"unsafe"
	"weak"

	"github.com/graft-ml/graft/tensor"
)

// recycler collects the activations and gradients that nn's own layers
// produced during a Graph pass and, once the pass is over, hands their
// storage back to the buffer pool. It holds only weak pointers, so the
// Graph still drops dead tensors as soon as it can.
//
// A tensor is recycled only when all of these hold: an nn layer made it
// (such layers return fresh storage or a view of an input, and keep nothing
// after Backward or Release), and its storage does not overlap anything
// that leaves the pass or comes from outside: graph inputs and outputs,
// gradients the caller passed in or gets back, and results of layers from
// other packages (which may return storage they keep, such as constants).
type recycler struct {
	spent   []weak.Pointer[tensor.Tensor]
	foreign []memRange
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

// produced records t, made by layer l (nil for the Graph itself).
func (r *recycler) produced(l Layer, t *tensor.Tensor) {
	if t == nil {
		return
	}
	if l != nil && !ownsOutputs(l) {
		r.protect(t)
		return
	}
	if cap(t.Data) >= minPooled {
		r.spent = append(r.spent, weak.Make(t))
	}
}

// protect marks t's storage as never to be recycled by this pass.
func (r *recycler) protect(t *tensor.Tensor) {
	if t != nil && cap(t.Data) > 0 {
		r.foreign = append(r.foreign, rangeOf(t.Data))
	}
}

// flush recycles what the pass produced and nothing outside it shares, then
// starts afresh. Call it only when no layer keeps anything from the pass.
func (r *recycler) flush() {
	if len(r.spent) == 0 {
		r.foreign = r.foreign[:0]
		return
	}
	var cands [][]float32
	for _, w := range r.spent {
		if t := w.Value(); t != nil {
			cands = append(cands, t.Data)
		}
	}
	slices.SortFunc(cands, func(a, b []float32) int {
		ra, rb := rangeOf(a), rangeOf(b)
		switch {
		case ra.lo != rb.lo:
			return cmpAddr(ra.lo, rb.lo)
		default:
			return cmpAddr(ra.hi, rb.hi)
		}
	})
	var reach uintptr // the furthest end of the ranges before cands[i]
	for i, b := range cands {
		rb := rangeOf(b)
		if i > 0 && rangeOf(cands[i-1]) == rb {
			continue // a view of a tensor already considered
		}
		// Storage only partly shared with another candidate is left alone.
		ok := reach <= rb.lo
		reach = max(reach, rb.hi)
		for j := i + 1; j < len(cands) && ok; j++ {
			rc := rangeOf(cands[j])
			if rc.lo >= rb.hi {
				break
			}
			ok = rc == rb
		}
		for _, f := range r.foreign {
			ok = ok && !f.overlaps(rb)
		}
		if ok {
			putBuffer(b)
		}
	}
	r.reset()
}

// reset forgets the pass without recycling anything.
func (r *recycler) reset() {
	clear(r.spent)
	r.spent, r.foreign = r.spent[:0], r.foreign[:0]
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
