package onnx

import (
	"fmt"
	"math"

	"github.com/graft-ml/graft/nn"
)

// binary converts Add, Sub, Mul and Div. Between two computed tensors it
// supports sums and differences of equal shapes and products (including a
// [N, C, 1, 1] gate over [N, C, H, W]); with one constant operand that is a
// scalar or holds one value per channel, it adds a channelAffine layer.
func (c *converter) binary(n *Node) error {
	if len(n.Inputs) != 2 {
		return fmt.Errorf("want 2 inputs, have %d", len(n.Inputs))
	}
	ka, aConst, err := c.constOf(n.Inputs[0])
	if err != nil {
		return err
	}
	kb, bConst, err := c.constOf(n.Inputs[1])
	if err != nil {
		return err
	}
	switch {
	case bConst:
		x, err := c.input(n, 0)
		if err != nil {
			return err
		}
		return c.affineConst(n, x, kb, false)
	case aConst:
		x, err := c.input(n, 1)
		if err != nil {
			return err
		}
		return c.affineConst(n, x, ka, true)
	}
	a, err := c.input(n, 0)
	if err != nil {
		return err
	}
	b, err := c.input(n, 1)
	if err != nil {
		return err
	}
	shape := broadcastShape(a.shape, b.shape)
	switch n.OpType {
	case "Add", "Sub":
		if a.rank() != b.rank() || !compatibleDims(a.shape, b.shape) {
			return fmt.Errorf("%s of %v and %v: only tensors of the same shape are supported", n.OpType, a.shape, b.shape)
		}
		name := c.layerName(n)
		if n.OpType == "Sub" {
			neg := newChannelAffine(c.nodeName(name+".neg"), []float32{-1}, []float32{0})
			if err := c.g.Add(neg.Name(), neg, b.node); err != nil {
				return err
			}
			b = &value{node: neg.Name(), shape: b.shape}
		}
		return c.add(n, nn.NewAdd(name), shape, a, b)
	case "Mul":
		gate := func(s, big *value) bool {
			return big.rank() == 4 && (s.rank() == 4 && s.shape[2] == 1 && s.shape[3] == 1 || s.rank() == 2)
		}
		if a.rank() == b.rank() && compatibleDims(a.shape, b.shape) || gate(a, b) || gate(b, a) {
			return c.add(n, nn.NewMultiply(c.layerName(n)), shape, a, b)
		}
		return fmt.Errorf("Mul of %v and %v tensors is not supported", a.shape, b.shape)
	}
	return fmt.Errorf("%s of two computed tensors is not supported (only with a constant operand)", n.OpType)
}

// compatibleDims reports whether two static shapes can be equal.
func compatibleDims(a, b []int64) bool {
	for i := range a {
		if a[i] >= 0 && b[i] >= 0 && a[i] != b[i] {
			return false
		}
	}
	return true
}

// affineConst converts x op k (or k op x when constFirst) to y = x*scale + shift.
func (c *converter) affineConst(n *Node, x *value, k *constant, constFirst bool) error {
	vals, err := perChannel(k, x)
	if err != nil {
		return fmt.Errorf("%s with a constant operand: %w", n.OpType, err)
	}
	one := []float32{1}
	var scale, shift []float32
	switch {
	case n.OpType == "Add":
		scale, shift = one, vals
	case n.OpType == "Mul":
		scale, shift = vals, []float32{0}
	case n.OpType == "Sub" && !constFirst: // x - k
		scale, shift = one, make([]float32, len(vals))
		for i, v := range vals {
			shift[i] = -v
		}
	case n.OpType == "Sub": // k - x
		scale, shift = []float32{-1}, vals
	case n.OpType == "Div" && !constFirst: // x / k
		scale, shift = make([]float32, len(vals)), []float32{0}
		for i, v := range vals {
			if v == 0 {
				return fmt.Errorf("division by a constant zero")
			}
			scale[i] = 1 / v
		}
	default:
		return fmt.Errorf("%s of a constant by a computed tensor is not supported", n.OpType)
	}
	shape := broadcastShape(x.shape, k.dims)
	if len(shape) != x.rank() {
		return fmt.Errorf("constant %v would change the rank of %v", k.dims, x.shape)
	}
	return c.add(n, newChannelAffine(c.layerName(n), scale, shift), shape, x)
}

// perChannel returns k's values if it is a scalar or broadcasts one value
// per channel over x ([C, 1, 1] or [1, C, 1, 1] for NCHW images, [C] or
// [1, C] for [N, C] features).
func perChannel(k *constant, x *value) ([]float32, error) {
	if err := k.concrete("constant"); err != nil {
		return nil, err
	}
	out := make([]float32, len(k.vals))
	for i, v := range k.vals {
		out[i] = float32(v)
		if math.IsNaN(v) {
			return nil, fmt.Errorf("constant holds NaN")
		}
	}
	if k.numel() != int64(len(k.vals)) {
		return nil, fmt.Errorf("constant of shape %v holds %d values", k.dims, len(k.vals))
	}
	if len(out) == 1 {
		return out, nil
	}
	chAxis := 1 // NCHW and [N, C] both keep channels on axis 1
	if len(k.dims) > x.rank() || x.rank() < 2 {
		return nil, fmt.Errorf("constant of shape %v for a %v tensor is not supported", k.dims, x.shape)
	}
	lead := x.rank() - len(k.dims)
	for i, d := range k.dims {
		if lead+i != chAxis && d != 1 {
			return nil, fmt.Errorf("constant of shape %v for a %v tensor: only scalars and one value per channel are supported", k.dims, x.shape)
		}
	}
	if ch := x.shape[chAxis]; ch >= 0 && int64(len(out)) != ch {
		return nil, fmt.Errorf("constant of %d values for %d channels", len(out), ch)
	}
	return out, nil
}
