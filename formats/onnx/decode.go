package onnx

import (
	"fmt"
	"os"
)

// maxModelBytes bounds the files Decode accepts (protobuf's own limit is 2 GiB).
const maxModelBytes = 2 << 30

// Parse reads an ONNX model file and decodes its protobuf, without building
// a network.
func Parse(file string) (*Model, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	if st.Size() > maxModelBytes {
		return nil, fmt.Errorf("onnx: %s: %d bytes exceeds the 2 GiB protobuf limit", file, st.Size())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	return Decode(data, file)
}

// Decode decodes an ONNX model held in memory; name is used in errors.
func Decode(data []byte, name string) (*Model, error) {
	if len(data) > maxModelBytes {
		return nil, fmt.Errorf("onnx: %s: %d bytes exceeds the 2 GiB protobuf limit", name, len(data))
	}
	m, err := decodeModel(data)
	if err != nil {
		return nil, fmt.Errorf("onnx: %s: %w", name, err)
	}
	v, ok := m.Opsets[""]
	if !ok {
		v, ok = m.Opsets["ai.onnx"]
	}
	if !ok {
		return nil, fmt.Errorf("onnx: %s: the model imports no ai.onnx operator set", name)
	}
	if v < 7 || v > 21 {
		return nil, fmt.Errorf("onnx: %s: opset %d is not supported (7 to 21 are)", name, v)
	}
	return m, nil
}
