// Package tensor holds Graft's n-dimensional float32 array: a shape and a
// contiguous, row-major slice of data. Images are laid out NHWC
// (batch, height, width, channels). The package does no math beyond
// bookkeeping; kernels live in package compute.
package tensor

import (
	"fmt"
	"math"
	"strings"
)

// Tensor is a shape and its row-major float32 data. Data has exactly
// Numel(Shape) elements. Tensors made by Reshape share data with their source.
type Tensor struct {
	Shape []int
	Data  []float32
}

// New returns a zero-filled tensor of the given shape.
// It panics on a negative dimension, which is a programming error.
func New(shape ...int) *Tensor {
	n := Numel(shape)
	if n < 0 {
		panic(fmt.Sprintf("tensor.New: negative dimension in shape %v", shape))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, n)}
}

// FromData wraps data (without copying) as a tensor of the given shape.
func FromData(data []float32, shape ...int) (*Tensor, error) {
	n := Numel(shape)
	if n < 0 {
		return nil, fmt.Errorf("tensor: negative dimension in shape %v", shape)
	}
	if n != len(data) {
		return nil, fmt.Errorf("tensor: shape %v needs %d elements, data has %d", shape, n, len(data))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}, nil
}

// Numel returns the number of elements a tensor of this shape holds, or -1
// if a dimension is negative. The empty shape is a scalar with one element.
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return -1
		}
		n *= d
	}
	return n
}

// Size returns the number of elements.
func (t *Tensor) Size() int { return len(t.Data) }

// Rank returns the number of dimensions.
func (t *Tensor) Rank() int { return len(t.Shape) }

// Dim returns dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.Shape)
	}
	return t.Shape[i]
}

// Reshape returns a tensor that shares t's data under a new shape. One
// dimension may be -1, in which case it is inferred.
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	s := append([]int(nil), shape...)
	infer := -1
	known := 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			return nil, fmt.Errorf("tensor: cannot reshape %v to %v", t.Shape, shape)
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || len(t.Data)%known != 0 {
			return nil, fmt.Errorf("tensor: cannot reshape %v (%d elements) to %v", t.Shape, len(t.Data), shape)
		}
		s[infer] = len(t.Data) / known
	}
	if Numel(s) != len(t.Data) {
		return nil, fmt.Errorf("tensor: cannot reshape %v (%d elements) to %v", t.Shape, len(t.Data), shape)
	}
	return &Tensor{Shape: s, Data: t.Data}, nil
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// Zero sets every element to zero.
func (t *Tensor) Zero() { clear(t.Data) }

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b *Tensor) bool { return EqualShapes(a.Shape, b.Shape) }

// EqualShapes reports whether two shapes are identical.
func EqualShapes(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ShapeString formats a shape as "[2 3 4]".
func ShapeString(shape []int) string { return fmt.Sprint(shape) }

// String summarises the tensor: its shape and its first few values.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v[", t.Shape)
	for i, v := range t.Data {
		if i == 6 {
			b.WriteString(" ...")
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.4g", v)
	}
	b.WriteByte(']')
	return b.String()
}

// FirstNonFinite returns the index of the first NaN or Inf value, or -1.
func (t *Tensor) FirstNonFinite() int {
	for i, v := range t.Data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return i
		}
	}
	return -1
}
