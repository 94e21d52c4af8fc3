package onnx

import (
	"fmt"
	"math"
)

// This file folds the arithmetic and type operators exporters use on shape
// values (x.size(1) * x.size(2), integer division for halves, casts between
// int64 and float), and Shape itself.

// minFoldInputs is how many inputs each folded operator needs at least.
var minFoldInputs = map[string]int{
	"ConstantOfShape": 1, "Concat": 1, "Reshape": 2, "Slice": 3, "Transpose": 1, "Cast": 1, "Unsqueeze": 1,
	"Squeeze": 1, "Gather": 2, "Identity": 1, "Add": 2, "Sub": 2, "Mul": 2, "Div": 2, "Neg": 1, "Shape": 1,
}

// foldCast converts c to the element type the Cast node names.
func foldCast(n *Node, c constant) (constant, error) {
	to := intAttr(n, "to", TypeFloat)
	out := constant{dims: c.dims, vals: make([]float64, len(c.vals)), integer: isIntegerType(to)}
	for i, v := range c.vals {
		switch {
		case to == TypeBool && !math.IsNaN(v):
			out.vals[i] = map[bool]float64{true: 1, false: 0}[v != 0]
		case out.integer:
			out.vals[i] = math.Trunc(v) // NaN (an unknown dimension) stays NaN
		case to == TypeFloat || to == TypeFloat16 || to == TypeBFloat16:
			out.vals[i] = float64(float32(v))
		default:
			out.vals[i] = v
		}
	}
	return out, nil
}

// foldArith applies an element-wise binary operator with NumPy broadcasting.
func foldArith(op string, a, b constant) (constant, error) {
	dims, err := broadcastDims(a.dims, b.dims)
	if err != nil {
		return constant{}, fmt.Errorf("%s of %v and %v: %w", op, a.dims, b.dims, err)
	}
	out := constant{dims: dims, integer: a.integer && b.integer}
	total := out.numel()
	if total < 0 || total > maxFoldElements || int64(len(a.vals)) != a.numel() || int64(len(b.vals)) != b.numel() {
		return constant{}, fmt.Errorf("%s of %v elements", op, dims)
	}
	out.vals = make([]float64, total)
	ia, ib := broadcastIndex(a.dims, dims), broadcastIndex(b.dims, dims)
	for i := range out.vals {
		x, y := a.vals[ia(i)], b.vals[ib(i)]
		var v float64
		switch op {
		case "Add":
			v = x + y
		case "Sub":
			v = x - y
		case "Mul":
			v = x * y
		case "Div":
			if out.integer {
				if y == 0 {
					return constant{}, fmt.Errorf("integer division by zero")
				}
				v = math.Trunc(x / y)
			} else {
				v = x / y
			}
		}
		out.vals[i] = v
	}
	return out, nil
}

// broadcastDims is the NumPy broadcast of two shapes.
func broadcastDims(a, b []int64) ([]int64, error) {
	n := max(len(a), len(b))
	out := make([]int64, n)
	for i := range n {
		da, db := int64(1), int64(1)
		if j := i - (n - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (n - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes do not broadcast")
		}
	}
	return out, nil
}

// broadcastIndex maps a flat index of the broadcast shape out to the flat
// index of an operand of shape dims.
func broadcastIndex(dims, out []int64) func(int) int {
	lead := len(out) - len(dims)
	strides := make([]int, len(out))
	acc := 1
	for i := len(dims) - 1; i >= 0; i-- {
		if dims[i] != 1 {
			strides[lead+i] = acc
		}
		acc *= int(dims[i])
	}
	return func(flat int) int {
		idx := 0
		for i := len(out) - 1; i >= 0; i-- {
			d := int(out[i])
			idx += (flat % d) * strides[i]
			flat /= d
		}
		return idx
	}
}

// shapeConstant is what Shape returns for a tensor of the given ONNX dims
// (-1 for an unknown one), honouring opset 15's start and end.
func shapeConstant(n *Node, dims []int64) (constant, error) {
	r := int64(len(dims))
	start, end := intAttr(n, "start", 0), intAttr(n, "end", r)
	if start < 0 {
		start += r
	}
	if end < 0 {
		end += r
	}
	start, end = max(0, min(start, r)), max(0, min(end, r))
	c := constant{integer: true}
	for _, d := range dims[start:max(start, end)] {
		if d < 0 {
			c.vals = append(c.vals, unknownDim)
		} else {
			c.vals = append(c.vals, float64(d))
		}
	}
	c.dims = []int64{int64(len(c.vals))}
	return c, nil
}
