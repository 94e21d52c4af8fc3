package nn

import (
	"fmt"

	"github.com/graft-ml/graft/tensor"
)

// Reshape gives each example a new shape, keeping the batch axis and the
// data (the output shares the input's data). One target dimension may be -1.
// Flatten is a Reshape to [N, -1].
type Reshape struct {
	name   string
	target []int
	cache
}

// NewReshape returns a layer reshaping [N, ...] to [N, target...].
func NewReshape(name string, target ...int) *Reshape {
	return &Reshape{name: name, target: append([]int(nil), target...)}
}

// NewFlatten returns a layer reshaping [N, ...] to [N, everything else].
func NewFlatten(name string) *Reshape { return NewReshape(name, -1) }

// Name returns the layer's name.
func (r *Reshape) Name() string { return r.name }

// Params returns nil.
func (r *Reshape) Params() []*Param { return nil }

// Forward returns a view of x with the new shape.
func (r *Reshape) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	r.Release()
	x, err := oneInput(r.name, inputs, 0)
	if err != nil {
		return nil, err
	}
	if x.Rank() < 1 {
		return nil, fmt.Errorf("%s: input %v has no batch axis", r.name, x.Shape)
	}
	y, err := x.Reshape(append([]int{x.Shape[0]}, r.target...)...)
	if err != nil {
		return nil, fmt.Errorf("%s: input %v to [N %v]: %w", r.name, x.Shape, r.target, err)
	}
	if training {
		r.live = true
		r.shapes = [][]int{append([]int(nil), x.Shape...), y.Shape}
	}
	return y, nil
}

// Backward returns gradOut viewed with the input's shape.
func (r *Reshape) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if err := r.ready(r.name); err != nil {
		return nil, err
	}
	in, out := r.shapes[0], r.shapes[1]
	r.Release()
	if err := checkGradShape(r.name, gradOut, out); err != nil {
		return nil, err
	}
	if !needInputGrad {
		return nil, nil
	}
	dx, err := gradOut.Reshape(in...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.name, err)
	}
	return []*tensor.Tensor{dx}, nil
}

// ZeroPadding2D pads the height and width of an NHWC input with zeros.
type ZeroPadding2D struct {
	name                     string
	top, bottom, left, right int
	cache
}

// NewZeroPadding2D returns a layer adding the given rows and columns of zeros.
func NewZeroPadding2D(name string, top, bottom, left, right int) (*ZeroPadding2D, error) {
	if top < 0 || bottom < 0 || left < 0 || right < 0 {
		return nil, fmt.Errorf("%s: negative padding %d,%d,%d,%d", name, top, bottom, left, right)
	}
	return &ZeroPadding2D{name: name, top: top, bottom: bottom, left: left, right: right}, nil
}

// Name returns the layer's name.
func (z *ZeroPadding2D) Name() string { return z.name }

// Params returns nil.
func (z *ZeroPadding2D) Params() []*Param { return nil }

// Forward copies x into the middle of a zero tensor.
func (z *ZeroPadding2D) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	z.Release()
	x, err := oneInput(z.name, inputs, 4)
	if err != nil {
		return nil, err
	}
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	oh, ow := h+z.top+z.bottom, w+z.left+z.right
	y := tensor.New(n, oh, ow, c)
	for b := 0; b < n; b++ {
		for iy := 0; iy < h; iy++ {
			src := x.Data[((b*h+iy)*w)*c : ((b*h+iy)*w+w)*c]
			dst := ((b*oh+iy+z.top)*ow + z.left) * c
			copy(y.Data[dst:dst+w*c], src)
		}
	}
	if training {
		z.live = true
		z.shapes = [][]int{append([]int(nil), x.Shape...)}
	}
	return y, nil
}

// Backward crops the gradient back to the input's size.
func (z *ZeroPadding2D) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if err := z.ready(z.name); err != nil {
		return nil, err
	}
	in := z.shapes[0]
	z.Release()
	n, h, w, c := in[0], in[1], in[2], in[3]
	oh, ow := h+z.top+z.bottom, w+z.left+z.right
	if err := checkGradShape(z.name, gradOut, []int{n, oh, ow, c}); err != nil {
		return nil, err
	}
	if !needInputGrad {
		return nil, nil
	}
	dx := newOutput(in...)
	for b := 0; b < n; b++ {
		for iy := 0; iy < h; iy++ {
			src := ((b*oh+iy+z.top)*ow + z.left) * c
			copy(dx.Data[((b*h+iy)*w)*c:((b*h+iy)*w+w)*c], gradOut.Data[src:src+w*c])
		}
	}
	return []*tensor.Tensor{dx}, nil
}
