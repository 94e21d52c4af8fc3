package onnx

import (
	"fmt"
	"math"

	"github.com/graft-ml/graft/nn"
)

// reshape converts the Reshapes CNN exports contain: flattening an image
// batch to [N, features] (torch.flatten, x.view(x.size(0), -1)), turning
// [N, C] into [N, C, 1, 1] for a gate, and reshapes that change nothing.
// Any other reshape would mix NCHW and NHWC orders and is refused.
func (c *converter) reshape(n *Node) error {
	v, err := c.input(n, 0)
	if err != nil {
		return err
	}
	if len(n.Inputs) < 2 {
		return fmt.Errorf("missing the target shape input")
	}
	k, ok, err := c.constOf(n.Inputs[1])
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("the target shape must be a constant or computable from static shapes")
	}
	allowZero := intAttr(n, "allowzero", 0) == 1
	if v.rank() < 1 || len(k.vals) < 1 {
		return fmt.Errorf("reshape of a rank-%d tensor to %v is not supported", v.rank(), k.vals)
	}
	// Resolve 0 (copy the input's dimension) first; -1 and NaN (a dimension
	// Shape could not know) stay as they are.
	target := make([]float64, len(k.vals))
	for i, t := range k.vals {
		switch {
		case t == 0 && !allowZero && i < v.rank():
			target[i] = float64(v.shape[i])
			if v.shape[i] < 0 {
				target[i] = math.NaN()
			}
		case math.IsNaN(t) || t == -1 || t >= 0:
			target[i] = t
		default:
			return fmt.Errorf("target shape %v", k.vals)
		}
	}
	batch, features := v.shape[0], product(v.shape[1:])
	keepsBatch := false
	switch t0 := target[0]; {
	case math.IsNaN(t0):
		keepsBatch = batch < 0 // x.size(0) of a symbolic batch
	case t0 >= 0:
		keepsBatch = batch == int64(t0)
	case t0 == -1 && len(target) == 2:
		keepsBatch = features >= 0 && int64(target[1]) == features
	}
	if !keepsBatch {
		return fmt.Errorf("reshape of %v to %v changes the batch dimension, which is not supported", v.shape, k.vals)
	}
	rest := target[1:]
	for _, t := range rest {
		if math.IsNaN(t) {
			return fmt.Errorf("reshape of %v to %v: only the batch dimension may be symbolic", v.shape, k.vals)
		}
	}
	switch {
	case len(rest) == 1 && (rest[0] == -1 || features < 0 || int64(rest[0]) == features):
		if v.rank() == 4 || v.rank() == 2 {
			return c.flatten(n, v)
		}
	case sameDims(rest, v.shape[1:]):
		c.vals[n.Outputs[0]] = v
		return nil
	case v.rank() == 2 && len(rest) == 3 && rest[1] == 1 && rest[2] == 1 &&
		(rest[0] == -1 || features < 0 || int64(rest[0]) == features):
		// [N, C] -> [N, C, 1, 1] is [N, 1, 1, C] in NHWC: the same data.
		ch := features
		if ch < 0 {
			if rest[0] < 0 {
				return fmt.Errorf("reshape of %v to %v: the channel count is not known", v.shape, k.vals)
			}
			ch = int64(rest[0])
		}
		return c.add(n, nn.NewReshape(c.layerName(n), 1, 1, int(ch)), []int64{batch, ch, 1, 1}, v)
	}
	return fmt.Errorf("reshape of %v to %v is not supported (only flattening to [N, features], "+
		"[N, C] to [N, C, 1, 1], and reshapes that keep the shape)", v.shape, k.vals)
}

// sameDims reports whether a reshape target equals known dims exactly.
func sameDims(target []float64, dims []int64) bool {
	if len(target) != len(dims) {
		return false
	}
	for i, d := range dims {
		if d < 0 || target[i] != float64(d) {
			return false
		}
	}
	return true
}
