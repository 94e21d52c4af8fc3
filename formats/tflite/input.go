package tflite

import (
	"fmt"

	"github.com/graft-ml/graft/tensor"
)

// InputQuantization is how a quantised model reads its input bytes: the
// float input is Scale*(q-ZeroPoint). A float model has Quantized false,
// Scale 1 and ZeroPoint 0.
type InputQuantization struct {
	Quantized bool
	Type      TensorType // UINT8 or INT8 when Quantized, else the input's type
	Scale     float32
	ZeroPoint int64
}

// Dequantize turns raw input bytes (uint8, or int8 for an INT8 input) into
// the float tensor the graph takes, of the given shape.
func (q InputQuantization) Dequantize(raw []byte, shape []int) (*tensor.Tensor, error) {
	if !q.Quantized {
		return nil, fmt.Errorf("tflite: the input is %s, not quantised bytes", q.Type)
	}
	if len(raw) != numel(shape) {
		return nil, fmt.Errorf("tflite: %d input bytes for shape %v (want %d)", len(raw), shape, numel(shape))
	}
	x := tensor.New(shape...)
	for i, b := range raw {
		v := int64(b)
		if q.Type == Int8 {
			v = int64(int8(b))
		}
		x.Data[i] = float32(float64(q.Scale) * float64(v-q.ZeroPoint))
	}
	return x, nil
}

// inputQuantization reads the quantisation of tensor t.
func inputQuantization(t *Tensor) InputQuantization {
	if (t.Type == Uint8 || t.Type == Int8) && t.Quant != nil && len(t.Quant.Scale) == 1 {
		return InputQuantization{Quantized: true, Type: t.Type, Scale: t.Quant.Scale[0], ZeroPoint: t.Quant.ZeroPoint[0]}
	}
	return InputQuantization{Type: t.Type, Scale: 1}
}
