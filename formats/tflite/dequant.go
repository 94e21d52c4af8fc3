package tflite

import (
	"encoding/binary"
	"fmt"
	"github.com/graft-ml/graft/formats/internal/half"
	"math"
)

// numel returns the number of elements of a shape.
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Float32s returns the tensor's constant data as float32, dequantised with
// its own parameters (r = scale*(q-zero_point), per channel along the
// quantised dimension when the file says so). Unquantised integer data is
// converted as is. It fails for tensors without data.
func (t *Tensor) Float32s() ([]float32, error) {
	if t.Data == nil {
		return nil, fmt.Errorf("tensor %d %q: has no constant data", t.Index, t.Name)
	}
	n := numel(t.Shape)
	if size := t.Type.Size(); size == 0 || len(t.Data) != n*size {
		return nil, fmt.Errorf("tensor %d %q: %d bytes of %s for shape %v", t.Index, t.Name, len(t.Data), t.Type, t.Shape)
	}
	out := make([]float32, n)
	d := t.Data
	switch t.Type {
	case Float32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(d[4*i:]))
		}
		return out, nil
	case Float16:
		for i := range out {
			out[i] = half.ToFloat32(binary.LittleEndian.Uint16(d[2*i:]))
		}
		return out, nil
	}
	q := t.Quant
	scale, zp, stride, channels := []float32{1}, []int64{0}, 1, 1
	if q != nil {
		scale, zp = q.Scale, q.ZeroPoint
		if q.PerChannel() {
			channels = t.Shape[q.Dimension]
			stride = numel(t.Shape[q.Dimension+1:])
		}
	}
	for i := range out {
		var v int64
		switch t.Type {
		case Uint8:
			v = int64(d[i])
		case Int8:
			v = int64(int8(d[i]))
		case Int16:
			v = int64(int16(binary.LittleEndian.Uint16(d[2*i:])))
		case Int32:
			v = int64(int32(binary.LittleEndian.Uint32(d[4*i:])))
		case Int64:
			v = int64(binary.LittleEndian.Uint64(d[8*i:]))
		default:
			return nil, fmt.Errorf("tensor %d %q: cannot convert %s to float", t.Index, t.Name, t.Type)
		}
		c := 0
		if channels > 1 {
			c = (i / stride) % channels
		}
		// float64 keeps int32 biases exact before the final rounding.
		out[i] = float32(float64(scale[c]) * float64(v-zp[c]))
	}
	return out, nil
}

// Ints returns the constant data of an INT32 or INT64 tensor (shapes, axes,
// paddings).
func (t *Tensor) Ints() ([]int, error) {
	if t.Data == nil {
		return nil, fmt.Errorf("tensor %d %q: has no constant data", t.Index, t.Name)
	}
	n := numel(t.Shape)
	if len(t.Data) != n*t.Type.Size() {
		return nil, fmt.Errorf("tensor %d %q: %d bytes of %s for shape %v", t.Index, t.Name, len(t.Data), t.Type, t.Shape)
	}
	out := make([]int, n)
	for i := range out {
		switch t.Type {
		case Int32:
			out[i] = int(int32(binary.LittleEndian.Uint32(t.Data[4*i:])))
		case Int64:
			out[i] = int(int64(binary.LittleEndian.Uint64(t.Data[8*i:])))
		default:
			return nil, fmt.Errorf("tensor %d %q: %s is not an integer index type", t.Index, t.Name, t.Type)
		}
	}
	return out, nil
}
