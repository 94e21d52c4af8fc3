package nn

import (
	"runtime"
	"testing"
	"weak"

	"github.com/graft-ml/graft/tensor"
)

// recorder keeps a weak pointer to each output its layer produces.
type recorder struct {
	Layer
	last weak.Pointer[tensor.Tensor]
}

func (r *recorder) Forward(in []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	y, err := r.Layer.Forward(in, training)
	if err == nil {
		r.last = weak.Make(y)
	}
	return y, err
}

func (r *recorder) Release() { release(r.Layer) }

// probe runs a garbage collection during Forward and records whether the
// watched activation was still reachable at that point.
type probe struct {
	Layer
	watch *recorder
	alive bool
}

func (p *probe) Forward(in []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	runtime.GC()
	runtime.GC()
	p.alive = p.watch.last.Value() != nil
	return p.Layer.Forward(in, training)
}

func (p *probe) Release() { release(p.Layer) }

// TestGraphDropsDeadActivations checks that the output of a node whose only
// consumer has run is no longer referenced by the graph (in inference, and
// in training when nothing downstream needs it), but is kept while a
// training Backward still needs it.
func TestGraphDropsDeadActivations(t *testing.T) {
	build := func() (*Graph, *probe, *Dense) {
		g := NewGraph()
		mustDo(t, g.Input("x"))
		a := &recorder{Layer: NewSwish("a")}
		mustDo(t, g.Add("a", a, "x"))
		mustDo(t, g.Add("b", NewSwish("b"), "a")) // Swish keeps its input when training
		p := &probe{Layer: NewSigmoid("p"), watch: a}
		mustDo(t, g.Add("p", p, "b"))
		fc := must(NewDense("fc", DenseConfig{In: 8, Out: 2, Seed: 1}))
		mustDo(t, g.Add("fc", fc, "p"))
		return g, p, fc
	}
	x := randTensor(1, -1, 1, 4, 8)

	g, p, _ := build()
	must(g.Forward([]*tensor.Tensor{x}, false))
	if p.alive {
		t.Error("inference: a's output was still referenced after its only consumer ran")
	}

	g, p, fc := build()
	fc.Kernel.Trainable, fc.Bias.Trainable = false, false
	must(g.Forward([]*tensor.Tensor{x}, true))
	if p.alive {
		t.Error("training with everything frozen: a's output was still referenced")
	}

	g, p, _ = build()
	g.SetInputGrad(true) // now b's Backward needs a's output
	must(g.Forward([]*tensor.Tensor{x}, true))
	if !p.alive {
		t.Error("training: a's output was dropped although b's Backward needs it")
	}
}
