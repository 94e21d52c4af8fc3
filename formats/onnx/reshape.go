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

// squeeze converts Squeeze of a [N, C, 1, 1] map to [N, C] and Unsqueeze
// of [N, C] to [N, C, 1, 1], the forms around global pooling; axes come
// from the attribute (before opset 13) or the second input.
func (c *converter) squeeze(n *Node) error {
	v, err := c.input(n, 0)
	if err != nil {
		return err
	}
	axes := intsAttr(n, "axes", nil)
	if len(n.Inputs) > 1 && n.Inputs[1] != "" {
		k, ok, err := c.constOf(n.Inputs[1])
		if err != nil {
			return err
		}
		if !ok || k.concrete("axes") != nil {
			return fmt.Errorf("axes must be a constant")
		}
		axes = k.ints()
	}
	switch {
	case n.OpType == "Squeeze" && v.rank() == 4 && v.shape[2] == 1 && v.shape[3] == 1 && spatialAxes(axes, 4, true):
		return c.flatten(n, v)
	case n.OpType == "Unsqueeze" && v.rank() == 2 && spatialAxes(axes, 4, false) && v.shape[1] >= 0:
		return c.add(n, nn.NewReshape(c.layerName(n), 1, 1, int(v.shape[1])), []int64{v.shape[0], v.shape[1], 1, 1}, v)
	}
	return fmt.Errorf("%s of %v over axes %v: only [N, C, 1, 1] <-> [N, C] is supported", n.OpType, v.shape, axes)
}

// spatialAxes reports whether axes are exactly 2 and 3 of a rank-4 tensor
// (negative axes counted from the end), or empty when allowEmpty (Squeeze's
// "every axis of size 1").
func spatialAxes(axes []int64, rank int64, allowEmpty bool) bool {
	if len(axes) == 0 {
		return allowEmpty
	}
	if len(axes) != 2 {
		return false
	}
	a, b := axes[0], axes[1]
	if a < 0 {
		a += rank
	}
	if b < 0 {
		b += rank
	}
	return min(a, b) == 2 && max(a, b) == 3
}
