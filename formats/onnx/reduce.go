package onnx

import (
	"fmt"
	"slices"

	"github.com/graft-ml/graft/nn"
)

// globalPool converts GlobalAveragePool and GlobalMaxPool, and ReduceMean
// and ReduceMax over the spatial axes of an NCHW image (x.mean([2, 3]),
// how some exporters write adaptive pooling to 1x1).
func (c *converter) globalPool(n *Node) error {
	v, err := c.input(n, 0)
	if err != nil {
		return err
	}
	if v.rank() != 4 {
		return fmt.Errorf("%s of a rank-%d tensor: only NCHW images are supported", n.OpType, v.rank())
	}
	keep := true
	if n.OpType == "ReduceMean" || n.OpType == "ReduceMax" {
		axes := intsAttr(n, "axes", nil)
		if len(n.Inputs) > 1 && n.Inputs[1] != "" { // opset 18: axes is an input
			k, ok, err := c.constOf(n.Inputs[1])
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("axes must be a constant")
			}
			if err := k.concrete("axes"); err != nil {
				return err
			}
			axes = k.ints()
		}
		norm := make([]int64, len(axes))
		for i, a := range axes {
			if a < 0 {
				a += 4
			}
			norm[i] = a
		}
		slices.Sort(norm)
		if !slices.Equal(norm, []int64{2, 3}) {
			return fmt.Errorf("%s over axes %v: only the spatial axes [2, 3] of an NCHW image are supported", n.OpType, axes)
		}
		keep = intAttr(n, "keepdims", 1) == 1
	}
	var layer nn.Layer
	if n.OpType == "GlobalMaxPool" || n.OpType == "ReduceMax" {
		layer = nn.NewGlobalMaxPool(c.layerName(n), keep)
	} else {
		layer = nn.NewGlobalAvgPool(c.layerName(n), keep)
	}
	shape := []int64{v.shape[0], v.shape[1]}
	if keep {
		shape = append(shape, 1, 1)
	}
	return c.add(n, layer, shape, v)
}
