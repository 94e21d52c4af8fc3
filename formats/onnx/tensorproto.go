package onnx

import (
	"encoding/binary"
	"fmt"
	"github.com/graft-ml/graft/formats/internal/half"
	"math"

	"github.com/graft-ml/graft/tensor"
)

// maxElements bounds one tensor constant, so a corrupt header cannot make the
// importer allocate without limit.
const maxElements = 1 << 31

// Float32 converts a tensor constant to a float32 tensor of its shape.
func (t *TensorProto) Float32() (*tensor.Tensor, error) {
	if t.External {
		return nil, fmt.Errorf("tensor %s: external data files are not supported", t.Name)
	}
	shape := make([]int, len(t.Dims))
	n := int64(1)
	for i, d := range t.Dims {
		if d < 0 || d > maxElements {
			return nil, fmt.Errorf("tensor %s: bad dimension %d", t.Name, d)
		}
		shape[i] = int(d)
		n *= d
		if n > maxElements {
			return nil, fmt.Errorf("tensor %s: %v has too many elements", t.Name, t.Dims)
		}
	}
	// Check the stored count before allocating: a corrupt header must not
	// make the importer allocate memory the file does not back.
	if got, err := t.storedCount(); err != nil {
		return nil, err
	} else if got != n {
		return nil, fmt.Errorf("tensor %s: %d values for shape %v of type %d (want %d)", t.Name, got, t.Dims, t.DataType, n)
	}
	out := make([]float32, n)
	switch {
	case t.RawData != nil && t.DataType == TypeFloat:
		raw := t.RawData[:4*len(out)]
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case t.RawData != nil:
		size := elemSize(t.DataType)
		for i := range out {
			out[i] = decodeRaw(t.DataType, t.RawData[i*size:])
		}
	case t.DataType == TypeFloat:
		copy(out, t.FloatData)
	case t.DataType == TypeDouble:
		for i, v := range t.DoubleData {
			out[i] = float32(v)
		}
	case t.DataType == TypeInt64:
		for i, v := range t.Int64Data {
			out[i] = float32(v)
		}
	case t.DataType == TypeFloat16:
		for i, v := range t.Int32Data {
			out[i] = half.ToFloat32(uint16(v))
		}
	default:
		for i, v := range t.Int32Data {
			out[i] = float32(v)
		}
	}
	return &tensor.Tensor{Shape: shape, Data: out}, nil
}

// storedCount is how many values the tensor holds, from whichever field
// holds them.
func (t *TensorProto) storedCount() (int64, error) {
	if t.RawData != nil {
		size := elemSize(t.DataType)
		if size == 0 {
			return 0, fmt.Errorf("tensor %s: unsupported data type %d", t.Name, t.DataType)
		}
		if len(t.RawData)%size != 0 {
			return 0, fmt.Errorf("tensor %s: %d raw bytes of %d-byte values", t.Name, len(t.RawData), size)
		}
		return int64(len(t.RawData) / size), nil
	}
	switch t.DataType {
	case TypeFloat:
		return int64(len(t.FloatData)), nil
	case TypeDouble:
		return int64(len(t.DoubleData)), nil
	case TypeInt64:
		return int64(len(t.Int64Data)), nil
	case TypeInt32, TypeInt16, TypeInt8, TypeUint8, TypeUint16, TypeBool, TypeFloat16:
		return int64(len(t.Int32Data)), nil
	}
	return 0, fmt.Errorf("tensor %s: unsupported data type %d", t.Name, t.DataType)
}

// Int64s returns an integer constant's values (shapes, axes, pads).
func (t *TensorProto) Int64s() ([]int64, error) {
	switch {
	case t.DataType == TypeInt64 && t.RawData != nil:
		if len(t.RawData)%8 != 0 {
			return nil, fmt.Errorf("tensor %s: %d raw bytes of int64", t.Name, len(t.RawData))
		}
		out := make([]int64, len(t.RawData)/8)
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(t.RawData[8*i:]))
		}
		return out, nil
	case t.DataType == TypeInt64:
		return append([]int64(nil), t.Int64Data...), nil
	}
	f, err := t.Float32()
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(f.Data))
	for i, v := range f.Data {
		out[i] = int64(v)
	}
	return out, nil
}

func elemSize(dt int64) int {
	switch dt {
	case TypeDouble, TypeInt64, TypeUint64:
		return 8
	case TypeFloat, TypeInt32, TypeUint32:
		return 4
	case TypeFloat16, TypeBFloat16, TypeInt16, TypeUint16:
		return 2
	case TypeInt8, TypeUint8, TypeBool:
		return 1
	}
	return 0
}

func decodeRaw(dt int64, b []byte) float32 {
	switch dt {
	case TypeFloat:
		return math.Float32frombits(binary.LittleEndian.Uint32(b))
	case TypeDouble:
		return float32(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	case TypeFloat16:
		return half.ToFloat32(binary.LittleEndian.Uint16(b))
	case TypeBFloat16:
		return math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16)
	case TypeInt64:
		return float32(int64(binary.LittleEndian.Uint64(b)))
	case TypeUint64:
		return float32(binary.LittleEndian.Uint64(b))
	case TypeInt32:
		return float32(int32(binary.LittleEndian.Uint32(b)))
	case TypeUint32:
		return float32(binary.LittleEndian.Uint32(b))
	case TypeInt16:
		return float32(int16(binary.LittleEndian.Uint16(b)))
	case TypeUint16:
		return float32(binary.LittleEndian.Uint16(b))
	case TypeInt8:
		return float32(int8(b[0]))
	case TypeUint8, TypeBool:
		return float32(b[0])
	}
	return 0
}
