package onnx

import (
	"fmt"
	"math"
)

// This file evaluates the small constant subgraphs exporters emit around
// shape arithmetic (torch.onnx turns every F.pad into ConstantOfShape,
// Concat, Reshape, Slice, Transpose and Cast on constants), so that the
// operators the network actually runs see plain constant attributes.

// constant is a small folded tensor: row-major values and their dimensions.
// A value of a shape that is not known statically (a symbolic batch size
// read by Shape) is NaN, which the shape operators carry along and Reshape
// understands; operators that need concrete numbers reject it.
type constant struct {
	dims    []int64
	vals    []float64
	integer bool // ONNX integer type: Div truncates, Cast to float clears it
}

// unknownDim marks a dimension Shape could not know.
var unknownDim = math.NaN()

// concrete reports an error if c holds an unknown value.
func (c constant) concrete(what string) error {
	for _, v := range c.vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s %v depends on a dimension that is not known statically", what, c.vals)
		}
	}
	return nil
}

func (c constant) numel() int64 {
	n := int64(1)
	for _, d := range c.dims {
		n *= d
	}
	return n
}

// maxFoldElements bounds what the folder materialises.
const maxFoldElements = 1 << 20

func constFromProto(t *TensorProto) (constant, error) {
	if t.DataType == TypeInt64 {
		v, err := t.Int64s()
		if err != nil {
			return constant{}, err
		}
		c := constant{dims: append([]int64(nil), t.Dims...), vals: make([]float64, len(v)), integer: true}
		for i, x := range v {
			c.vals[i] = float64(x)
		}
		if c.numel() != int64(len(c.vals)) {
			return constant{}, fmt.Errorf("tensor %s: %d values for shape %v", t.Name, len(c.vals), t.Dims)
		}
		return c, nil
	}
	f, err := t.Float32()
	if err != nil {
		return constant{}, err
	}
	c := constant{dims: append([]int64(nil), t.Dims...), vals: make([]float64, len(f.Data)), integer: isIntegerType(t.DataType)}
	for i, x := range f.Data {
		c.vals[i] = float64(x)
	}
	return c, nil
}

func isIntegerType(dt int64) bool {
	switch dt {
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64, TypeUint8, TypeUint16, TypeUint32, TypeUint64, TypeBool:
		return true
	}
	return false
}

func (c constant) ints() []int64 {
	out := make([]int64, len(c.vals))
	for i, v := range c.vals {
		switch {
		case v >= math.MaxInt64:
			out[i] = math.MaxInt64
		case v <= math.MinInt64:
			out[i] = math.MinInt64
		default:
			out[i] = int64(v)
		}
	}
	return out
}

// foldable lists the operators the folder evaluates when every input is constant.
var foldable = map[string]bool{
	"Constant": true, "ConstantOfShape": true, "Concat": true, "Reshape": true, "Slice": true,
	"Transpose": true, "Cast": true, "Unsqueeze": true, "Squeeze": true, "Gather": true, "Identity": true,
	"Add": true, "Sub": true, "Mul": true, "Div": true, "Neg": true, "Shape": true,
}

// indexInputs lists, for the folded operators that need concrete numbers,
// which inputs must not hold unknown dimensions.
var indexInputs = map[string][]int{
	"ConstantOfShape": {0}, "Reshape": {1}, "Slice": {1, 2, 3, 4}, "Gather": {1},
}

// fold evaluates node n over constant inputs.
func fold(n *Node, in []constant) (constant, error) {
	for _, i := range indexInputs[n.OpType] {
		if i < len(in) {
			if err := in[i].concrete(fmt.Sprintf("%s input %d", n.OpType, i)); err != nil {
				return constant{}, err
			}
		}
	}
	if want := minFoldInputs[n.OpType]; len(in) < want {
		return constant{}, fmt.Errorf("%s needs %d inputs, has %d", n.OpType, want, len(in))
	}
	switch n.OpType {
	case "Constant":
		for _, a := range n.Attrs {
			switch a.Name {
			case "value":
				if a.T == nil {
					return constant{}, fmt.Errorf("Constant without a tensor")
				}
				return constFromProto(a.T)
			case "value_float":
				return constant{vals: []float64{float64(a.F)}}, nil
			case "value_int":
				return constant{vals: []float64{float64(a.I)}}, nil
			case "value_floats":
				c := constant{dims: []int64{int64(len(a.Floats))}}
				for _, f := range a.Floats {
					c.vals = append(c.vals, float64(f))
				}
				return c, nil
			case "value_ints":
				c := constant{dims: []int64{int64(len(a.Ints))}}
				for _, v := range a.Ints {
					c.vals = append(c.vals, float64(v))
				}
				return c, nil
			}
		}
		return constant{}, fmt.Errorf("Constant with no supported value attribute")
	case "Identity":
		return in[0], nil
	case "Cast":
		return foldCast(n, in[0])
	case "Add", "Sub", "Mul", "Div":
		return foldArith(n.OpType, in[0], in[1])
	case "Neg":
		c := constant{dims: in[0].dims, integer: in[0].integer, vals: make([]float64, len(in[0].vals))}
		for i, v := range in[0].vals {
			c.vals[i] = -v
		}
		return c, nil
	case "ConstantOfShape":
		c := constant{dims: in[0].ints()}
		count := int64(1)
		for _, d := range c.dims {
			if d < 0 || d > maxFoldElements {
				return constant{}, fmt.Errorf("ConstantOfShape of %v elements", c.dims)
			}
			count *= d
		}
		if count > maxFoldElements {
			return constant{}, fmt.Errorf("ConstantOfShape of %v elements", c.dims)
		}
		v := 0.0
		if a := attr(n, "value"); a != nil && a.T != nil {
			t, err := constFromProto(a.T)
			if err != nil || len(t.vals) != 1 {
				return constant{}, fmt.Errorf("ConstantOfShape value: %v", err)
			}
			v = t.vals[0]
			c.integer = t.integer
		}
		c.vals = make([]float64, count)
		for i := range c.vals {
			c.vals[i] = v
		}
		return c, nil
	case "Concat":
		if len(in) == 0 {
			return constant{}, fmt.Errorf("Concat of nothing")
		}
		if len(in[0].dims) != 1 {
			return constant{}, fmt.Errorf("Concat folding supports 1-D constants only")
		}
		var c constant
		for _, x := range in {
			if len(x.dims) != 1 {
				return constant{}, fmt.Errorf("Concat folding supports 1-D constants only")
			}
			c.vals = append(c.vals, x.vals...)
		}
		c.dims = []int64{int64(len(c.vals))}
		c.integer = in[0].integer
		return c, nil
	case "Reshape":
		shape := in[1].ints()
		total := in[0].numel()
		out := make([]int64, len(shape))
		infer, known := -1, int64(1)
		for i, d := range shape {
			switch {
			case d == 0 && i < len(in[0].dims):
				out[i] = in[0].dims[i]
			case d == -1 && infer < 0:
				infer = i
				continue
			case d < 0:
				return constant{}, fmt.Errorf("Reshape to %v", shape)
			default:
				out[i] = d
			}
			known *= out[i]
		}
		if infer >= 0 {
			if known == 0 || total%known != 0 {
				return constant{}, fmt.Errorf("Reshape of %v to %v", in[0].dims, shape)
			}
			out[infer] = total / known
			known *= out[infer]
		}
		if known != total {
			return constant{}, fmt.Errorf("Reshape of %v to %v", in[0].dims, shape)
		}
		return constant{dims: out, vals: in[0].vals, integer: in[0].integer}, nil
	case "Unsqueeze", "Squeeze":
		// Only the 1-D/scalar shape bookkeeping exporters emit.
		c := in[0]
		if n.OpType == "Unsqueeze" && len(c.dims) == 0 {
			return constant{dims: []int64{1}, vals: c.vals, integer: c.integer}, nil
		}
		if n.OpType == "Squeeze" && len(c.vals) == 1 {
			return constant{vals: c.vals, integer: c.integer}, nil
		}
		return c, nil
	case "Gather":
		if len(in[0].dims) != 1 {
			return constant{}, fmt.Errorf("Gather folding supports 1-D data only")
		}
		if a := attr(n, "axis"); a != nil && a.I != 0 && a.I != -1 {
			return constant{}, fmt.Errorf("Gather folding supports axis 0 only, not %d", a.I)
		}
		idx := in[1].ints()
		c := constant{dims: in[1].dims, integer: in[0].integer}
		for _, i := range idx {
			if i < 0 {
				i += int64(len(in[0].vals))
			}
			if i < 0 || i >= int64(len(in[0].vals)) {
				return constant{}, fmt.Errorf("Gather index %d out of range", i)
			}
			c.vals = append(c.vals, in[0].vals[i])
		}
		return c, nil
	case "Slice":
		return foldSlice(in)
	case "Shape":
		return shapeConstant(n, in[0].dims)
	case "Transpose":
		return foldTranspose(n, in[0])
	}
	return constant{}, fmt.Errorf("cannot fold %s", n.OpType)
}

func foldSlice(in []constant) (constant, error) {
	if len(in) < 3 {
		return constant{}, fmt.Errorf("Slice needs data, starts and ends")
	}
	data := in[0]
	rank := len(data.dims)
	starts, ends := in[1].ints(), in[2].ints()
	axes := make([]int64, len(starts))
	for i := range axes {
		axes[i] = int64(i)
	}
	if len(in) > 3 {
		axes = in[3].ints()
	}
	steps := make([]int64, len(starts))
	for i := range steps {
		steps[i] = 1
	}
	if len(in) > 4 {
		steps = in[4].ints()
	}
	if len(ends) != len(starts) || len(axes) != len(starts) || len(steps) != len(starts) {
		return constant{}, fmt.Errorf("Slice arguments of different lengths")
	}
	lo := make([]int64, rank)
	step := make([]int64, rank)
	cnt := append([]int64(nil), data.dims...)
	for i := range step {
		step[i] = 1
	}
	for i, ax := range axes {
		if ax < 0 {
			ax += int64(rank)
		}
		if ax < 0 || ax >= int64(rank) || steps[i] == 0 {
			return constant{}, fmt.Errorf("Slice axis %d / step %d", axes[i], steps[i])
		}
		d := data.dims[ax]
		s, e, st := starts[i], ends[i], steps[i]
		clampIdx := func(v int64, lowest, highest int64) int64 {
			if v < 0 {
				v += d
			}
			return max(lowest, min(v, highest))
		}
		if st > 0 {
			s, e = clampIdx(s, 0, d), clampIdx(e, 0, d)
			cnt[ax] = max(0, (e-s+st-1)/st)
		} else {
			s, e = clampIdx(s, -1, d-1), clampIdx(e, -1, d-1)
			cnt[ax] = max(0, (s-e-st-1)/(-st))
		}
		lo[ax], step[ax] = s, st
	}
	out := constant{dims: cnt, integer: data.integer}
	total := out.numel()
	idx := make([]int64, rank)
	strides := make([]int64, rank)
	acc := int64(1)
	for i := rank - 1; i >= 0; i-- {
		strides[i] = acc
		acc *= data.dims[i]
	}
	for j := int64(0); j < total; j++ {
		off := int64(0)
		for d := range idx {
			off += (lo[d] + idx[d]*step[d]) * strides[d]
		}
		out.vals = append(out.vals, data.vals[off])
		for d := rank - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < cnt[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out, nil
}

func foldTranspose(n *Node, c constant) (constant, error) {
	rank := len(c.dims)
	perm := make([]int64, rank)
	for i := range perm {
		perm[i] = int64(rank - 1 - i)
	}
	if a := attr(n, "perm"); a != nil {
		perm = a.Ints
	}
	if len(perm) != rank {
		return constant{}, fmt.Errorf("Transpose perm %v for rank %d", perm, rank)
	}
	dims := make([]int64, rank)
	seen := make([]bool, rank)
	for i, p := range perm {
		if p < 0 || p >= int64(rank) || seen[p] {
			return constant{}, fmt.Errorf("Transpose perm %v", perm)
		}
		seen[p] = true
		dims[i] = c.dims[p]
	}
	strides := make([]int64, rank)
	acc := int64(1)
	for i := rank - 1; i >= 0; i-- {
		strides[i] = acc
		acc *= c.dims[i]
	}
	out := constant{dims: dims, vals: make([]float64, 0, len(c.vals)), integer: c.integer}
	idx := make([]int64, rank)
	total := out.numel()
	for j := int64(0); j < total; j++ {
		off := int64(0)
		for d := range idx {
			off += idx[d] * strides[perm[d]]
		}
		out.vals = append(out.vals, c.vals[off])
		for d := rank - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < dims[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out, nil
}

// attr returns the node's attribute called name, or nil.
func attr(n *Node, name string) *Attribute {
	for i := range n.Attrs {
		if n.Attrs[i].Name == name {
			return &n.Attrs[i]
		}
	}
	return nil
}
