package serve

import (
	"context"
	"fmt"
	"math"

	"github.com/graft-ml/graft/modelio"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
	"github.com/graft-ml/graft/train"
)

// engine runs preprocessed images through a pool of graphs. An nn.Graph is
// not safe for concurrent Forward calls (it keeps per-run state and hands
// its activations back to a buffer pool), so each worker owns one graph:
// the loaded one and, for more workers, copies rebuilt from its spec with
// the weights copied by name.
type engine struct {
	l        *modelio.Loaded
	graphs   chan *nn.Graph
	classes  int  // outputs per image
	probsOut bool // the graph ends in a softmax
	params   int64
}

// newEngine checks the model by running it once on a blank input and makes
// workers graphs.
func newEngine(l *modelio.Loaded, workers int) (*engine, error) {
	if l == nil || l.Graph == nil {
		return nil, fmt.Errorf("serve: no model")
	}
	outs, err := modelio.Probe(l)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	n := max(l.InputBatch, 1)
	if len(outs) == 0 || len(outs[0].Shape) == 0 || outs[0].Shape[0] != n || outs[0].Size() == 0 {
		return nil, fmt.Errorf("serve: %s: no usable output for a batch of %d", l.Source, n)
	}
	e := &engine{l: l, classes: outs[0].Size() / n, probsOut: train.EndsInSoftmax(l.Graph), graphs: make(chan *nn.Graph, workers)}
	for _, p := range l.Graph.Params() {
		e.params += int64(p.Value.Size())
	}
	e.graphs <- l.Graph
	for i := 1; i < workers; i++ {
		g, err := l.Graph.Clone()
		if err != nil {
			return nil, fmt.Errorf("serve: %s: copying the model for worker %d of %d (use 1 worker): %w", l.Source, i+1, workers, err)
		}
		e.graphs <- g
	}
	return e, nil
}

// scored is one image's output: its probabilities and its classes ranked
// most likely first.
type scored struct {
	probs []float64
	rank  []int
}

// run classifies the preprocessed images (each pre.Numel() floats) with
// the first free graph, waiting for one until ctx is done, and calls
// started once it has one; it returns each image's probabilities and its
// top-k class indices.
func (e *engine) run(ctx context.Context, images [][]float32, k int, started func()) ([]scored, error) {
	var g *nn.Graph
	select {
	case g = <-e.graphs:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { e.graphs <- g }()
	started()
	numel := e.l.Preprocess.Numel()
	chunk := len(images)
	if e.l.InputBatch > 0 {
		chunk = e.l.InputBatch
	}
	res := make([]scored, 0, len(images))
	for start := 0; start < len(images); start += chunk {
		part := images[start:min(start+chunk, len(images))]
		x := tensor.New(chunk, e.l.Preprocess.Height, e.l.Preprocess.Width, 3) // padded with blanks
		for i, img := range part {
			copy(x.Data[i*numel:(i+1)*numel], img)
		}
		outs, err := g.Forward([]*tensor.Tensor{x}, false)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.l.Source, err)
		}
		out := outs[0]
		if len(out.Shape) == 0 || out.Shape[0] != chunk || out.Size() != chunk*e.classes {
			return nil, fmt.Errorf("%s: output of shape %v for a batch of %d", e.l.Source, out.Shape, chunk)
		}
		for i := range part {
			raw := out.Data[i*e.classes : (i+1)*e.classes]
			p := train.Probabilities(raw, e.probsOut)
			for _, v := range p {
				if math.IsNaN(v) {
					return nil, fmt.Errorf("%s: the model's output is NaN", e.l.Source)
				}
			}
			res = append(res, scored{probs: p, rank: train.TopK(raw, k)})
		}
	}
	return res, nil
}
