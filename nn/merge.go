package nn

import (
	"fmt"

	"github.com/graft-ml/graft/compute"
	"github.com/graft-ml/graft/tensor"
)

// Add sums any number of inputs of the same shape (ResNet's skip
// connections).
type Add struct {
	name string
	cache
}

// NewAdd returns an element-wise sum layer.
func NewAdd(name string) *Add { return &Add{name: name} }

// Name returns the layer's name.
func (a *Add) Name() string { return a.name }

// Params returns nil.
func (a *Add) Params() []*Param { return nil }

// Forward sums the inputs.
func (a *Add) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	a.Release()
	if len(inputs) < 1 {
		return nil, fmt.Errorf("%s: no inputs", a.name)
	}
	for i, x := range inputs {
		if x == nil {
			return nil, fmt.Errorf("%s: input %d is nil", a.name, i)
		}
		if !tensor.SameShape(x, inputs[0]) {
			return nil, fmt.Errorf("%s: input %d has shape %v, input 0 has %v", a.name, i, x.Shape, inputs[0].Shape)
		}
	}
	y := newOutput(inputs[0].Shape...)
	switch len(inputs) {
	case 1:
		copy(y.Data, inputs[0].Data)
	default:
		compute.Add(y.Data, inputs[0].Data, inputs[1].Data)
		for _, x := range inputs[2:] {
			compute.Add(y.Data, y.Data, x.Data)
		}
	}
	if training {
		a.live = true
		a.shapes = [][]int{y.Shape, {len(inputs)}}
	}
	return y, nil
}

// Backward passes gradOut to every input (the same tensor, not copies).
func (a *Add) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if err := a.ready(a.name); err != nil {
		return nil, err
	}
	shape, n := a.shapes[0], a.shapes[1][0]
	a.Release()
	if err := checkGradShape(a.name, gradOut, shape); err != nil {
		return nil, err
	}
	if !needInputGrad {
		return nil, nil
	}
	dx := make([]*tensor.Tensor, n)
	for i := range dx {
		dx[i] = gradOut
	}
	return dx, nil
}

// Multiply is the element-wise product of two inputs, one of which may be
// [N, C] or [N, 1, 1, C] broadcast over the other's [N, H, W, C]
// (squeeze-and-excitation gating).
type Multiply struct {
	name string
	cache
}

// NewMultiply returns an element-wise product layer.
func NewMultiply(name string) *Multiply { return &Multiply{name: name} }

// Name returns the layer's name.
func (m *Multiply) Name() string { return m.name }

// Params returns nil.
func (m *Multiply) Params() []*Param { return nil }

// broadcastsOver reports whether s is [N, C] or [N, 1, 1, C] for big [N, H, W, C].
func broadcastsOver(s, big *tensor.Tensor) bool {
	if big.Rank() != 4 || s.Shape[0] != big.Shape[0] || s.Dim(-1) != big.Dim(-1) {
		return false
	}
	return s.Rank() == 2 || s.Rank() == 4 && s.Shape[1] == 1 && s.Shape[2] == 1
}

// Forward multiplies the inputs, broadcasting the smaller one.
func (m *Multiply) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	m.Release()
	if len(inputs) != 2 || inputs[0] == nil || inputs[1] == nil {
		return nil, fmt.Errorf("%s: got %d inputs, want 2", m.name, len(inputs))
	}
	a, b := inputs[0], inputs[1]
	var y *tensor.Tensor
	switch {
	case tensor.SameShape(a, b):
		y = newOutput(a.Shape...)
		compute.Mul(y.Data, a.Data, b.Data)
	case broadcastsOver(b, a):
		y = scaleImages(a, b)
	case broadcastsOver(a, b):
		y = scaleImages(b, a)
	default:
		return nil, fmt.Errorf("%s: cannot multiply %v by %v", m.name, a.Shape, b.Shape)
	}
	if training {
		m.keep(a, b)
	}
	return y, nil
}

// scaleImages returns big [N, H, W, C] times gate [N, C] broadcast over H, W.
func scaleImages(big, gate *tensor.Tensor) *tensor.Tensor {
	n, c := big.Shape[0], big.Shape[3]
	hw := big.Size() / (n * c)
	y := newOutput(big.Shape...)
	compute.ParallelFor(n*hw, rowGrain(c), func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			g := gate.Data[(r/hw)*c : (r/hw+1)*c]
			compute.Mul(y.Data[r*c:(r+1)*c], big.Data[r*c:(r+1)*c], g)
		}
	})
	return y
}

// Backward returns dy·b for a and dy·a for b, summed over the broadcast axes.
func (m *Multiply) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if err := m.ready(m.name); err != nil {
		return nil, err
	}
	a, b := m.ts[0], m.ts[1]
	defer m.Release()
	big := a
	if b.Size() > a.Size() {
		big = b
	}
	if err := checkGradShape(m.name, gradOut, big.Shape); err != nil {
		return nil, err
	}
	if !needInputGrad {
		return nil, nil
	}
	if tensor.SameShape(a, b) {
		da, db := newOutput(a.Shape...), newOutput(b.Shape...)
		compute.Mul(da.Data, gradOut.Data, b.Data)
		compute.Mul(db.Data, gradOut.Data, a.Data)
		return []*tensor.Tensor{da, db}, nil
	}
	gate := b
	if big == b {
		gate = a
	}
	dBig := scaleImages(gradOut, gate)
	dGate := newOutput(gate.Shape...)
	n, c := big.Shape[0], big.Shape[3]
	hw := big.Size() / (n * c)
	compute.ParallelFor(n, 1, func(n0, n1 int) {
		for i := n0; i < n1; i++ {
			acc := make([]float64, c)
			for p := 0; p < hw; p++ {
				o := (i*hw + p) * c
				for j := 0; j < c; j++ {
					acc[j] += float64(gradOut.Data[o+j]) * float64(big.Data[o+j])
				}
			}
			for j, v := range acc {
				dGate.Data[i*c+j] = float32(v)
			}
		}
	})
	if big == a {
		return []*tensor.Tensor{dBig, dGate}, nil
	}
	return []*tensor.Tensor{dGate, dBig}, nil
}

// Concat joins inputs along the last axis (Inception's branches).
type Concat struct {
	name string
	cache
}

// NewConcat returns a last-axis concatenation layer.
func NewConcat(name string) *Concat { return &Concat{name: name} }

// Name returns the layer's name.
func (c *Concat) Name() string { return c.name }

// Params returns nil.
func (c *Concat) Params() []*Param { return nil }

// Forward concatenates the inputs' last axes.
func (c *Concat) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	c.Release()
	if len(inputs) < 1 || inputs[0] == nil || inputs[0].Rank() < 1 {
		return nil, fmt.Errorf("%s: need at least one input with a last axis", c.name)
	}
	first := inputs[0]
	lead := first.Shape[:first.Rank()-1]
	widths := make([]int, len(inputs))
	total := 0
	for i, x := range inputs {
		if x == nil || x.Rank() != first.Rank() || !tensor.EqualShapes(x.Shape[:x.Rank()-1], lead) {
			var s []int
			if x != nil {
				s = x.Shape
			}
			return nil, fmt.Errorf("%s: input %d has shape %v, input 0 has %v: all but the last axis must match", c.name, i, s, first.Shape)
		}
		widths[i] = x.Dim(-1)
		total += widths[i]
	}
	y := newOutput(append(append([]int(nil), lead...), total)...)
	rows := tensor.Numel(lead)
	compute.ParallelFor(rows, rowGrain(total), func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			off := r * total
			for i, x := range inputs {
				w := widths[i]
				copy(y.Data[off:off+w], x.Data[r*w:(r+1)*w])
				off += w
			}
		}
	})
	if training {
		c.live = true
		c.shapes = [][]int{y.Shape, widths}
	}
	return y, nil
}

// Backward splits the gradient back into the inputs' widths.
func (c *Concat) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if err := c.ready(c.name); err != nil {
		return nil, err
	}
	shape, widths := c.shapes[0], c.shapes[1]
	c.Release()
	if err := checkGradShape(c.name, gradOut, shape); err != nil {
		return nil, err
	}
	if !needInputGrad {
		return nil, nil
	}
	lead := shape[:len(shape)-1]
	total := shape[len(shape)-1]
	rows := tensor.Numel(lead)
	dx := make([]*tensor.Tensor, len(widths))
	for i, w := range widths {
		dx[i] = newOutput(append(append([]int(nil), lead...), w)...)
	}
	compute.ParallelFor(rows, rowGrain(total), func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			off := r * total
			for i, w := range widths {
				copy(dx[i].Data[r*w:(r+1)*w], gradOut.Data[off:off+w])
				off += w
			}
		}
	})
	return dx, nil
}
