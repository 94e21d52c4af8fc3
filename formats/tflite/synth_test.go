package tflite

import (
	"encoding/binary"
	"math"
)

// Synthetic models shared by the unit tests and the fuzz corpus.

// synthConv is uint8 input [1,5,4,3] (scale 0.5, zero point 10) -> CONV_2D
// with uint8 weights [2,3,3,3] (scale 0.1, zero point 5), an int32 bias
// (scale 0.05), SAME padding, stride 2, fused RELU6.
func synthConv() *synth {
	s := newSynth()
	x := s.tensor("input", []int32{1, 5, 4, 3}, Uint8, nil, quant([]float32{0.5}, []int64{10}, 0))
	w := make([]byte, 2*3*3*3)
	for i := range w {
		w[i] = byte((i*37 + 11) % 17)
	}
	wt := s.tensor("conv/weights", []int32{2, 3, 3, 3}, Uint8, w, quant([]float32{0.1}, []int64{5}, 0))
	bias := make([]byte, 8)
	neg := int32(-7)
	binary.LittleEndian.PutUint32(bias[0:], uint32(neg))
	binary.LittleEndian.PutUint32(bias[4:], uint32(int32(13)))
	bt := s.tensor("conv/bias", []int32{2}, Int32, bias, quant([]float32{0.05}, []int64{0}, 0))
	y := s.tensor("conv/out", []int32{1, 3, 2, 2}, Uint8, nil, quant([]float32{0.1}, []int64{0}, 0))
	s.op(OpConv2D, optConv2D, fbTable{0: fU8(PaddingSame), 1: fI32(2), 2: fI32(2), 3: fU8(ActRelu6)}, []int32{x, wt, bt}, y)
	s.inputs, s.outputs = []int32{x}, []int32{y}
	return s
}

// synthDepthwise is float input [1,4,4,2] -> DEPTHWISE_CONV_2D with int8
// per-channel weights [1,3,3,4] (multiplier 2, quantised along dimension 3),
// VALID padding, stride 1, no bias.
func synthDepthwise() *synth {
	s := newSynth()
	x := s.tensor("input", []int32{1, 4, 4, 2}, Float32, nil, nil)
	w := make([]byte, 3*3*4)
	for i := range w {
		w[i] = byte(int8(i*29%23 - 11))
	}
	wt := s.tensor("dw/weights", []int32{1, 3, 3, 4}, Int8, w, quant([]float32{0.1, 0.2, 0.3, 0.4}, []int64{0, 0, 0, 0}, 3))
	y := s.tensor("dw/out", []int32{1, 2, 2, 4}, Float32, nil, nil)
	s.op(OpDepthwiseConv, optDepthwiseConv, fbTable{0: fU8(PaddingValid), 1: fI32(1), 2: fI32(1), 3: fI32(2)}, []int32{x, wt, -1}, y)
	s.inputs, s.outputs = []int32{x}, []int32{y}
	return s
}

// synthHead is float input [1,2,2,3] -> AVERAGE_POOL_2D 2x2 VALID ->
// RESHAPE [1,3] -> FULLY_CONNECTED to 4 -> SOFTMAX.
func synthHead() *synth {
	s := newSynth()
	x := s.tensor("input", []int32{1, 2, 2, 3}, Float32, nil, nil)
	p := s.tensor("pool", []int32{1, 1, 1, 3}, Float32, nil, nil)
	s.op(OpAveragePool2D, optPool2D, fbTable{0: fU8(PaddingValid), 1: fI32(2), 2: fI32(2), 3: fI32(2), 4: fI32(2)}, []int32{x}, p)
	shape := s.ints("shape", []int32{2}, 1, 3)
	r := s.tensor("flat", []int32{1, 3}, Float32, nil, nil)
	s.op(OpReshape, optReshape, fbTable{0: fInts{1, 3}}, []int32{p, shape}, r)
	w := s.floats("fc/weights", []int32{4, 3}, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, -1, 0.5)
	b := s.floats("fc/bias", []int32{4}, 0.1, 0.2, 0.3, 0.4)
	l := s.tensor("logits", []int32{1, 4}, Float32, nil, nil)
	s.op(OpFullyConnected, optFullyConnected, fbTable{}, []int32{r, w, b}, l)
	y := s.tensor("prob", []int32{1, 4}, Float32, nil, nil)
	s.op(OpSoftmax, optSoftmax, fbTable{0: fF32(1)}, []int32{l}, y)
	s.inputs, s.outputs = []int32{x}, []int32{y}
	return s
}

// synthBranches exercises the remaining operators: PAD folded into a VALID
// conv whose weights are a DEQUANTIZEd float16 constant, ADD of two
// branches, MUL by a per-channel constant, CONCATENATION, HARD_SWISH,
// LOGISTIC, RELU, MAX_POOL_2D, MEAN and a HARD_SWISH opcode that needs the
// builtin_code field (117 > 127 is impossible in the deprecated byte).
func synthBranches() *synth {
	s := newSynth()
	x := s.tensor("input", []int32{1, 4, 4, 2}, Float32, nil, nil)
	pads := s.ints("pads", []int32{4, 2}, 0, 0, 1, 1, 1, 1, 0, 0)
	px := s.tensor("padded", []int32{1, 6, 6, 2}, Float32, nil, nil)
	s.op(OpPad, optPad, fbTable{}, []int32{x, pads}, px)
	half := make([]byte, 2*2*3*3*2)
	for i := 0; i < len(half)/2; i++ {
		binary.LittleEndian.PutUint16(half[2*i:], floatToHalf(float32(i%7-3)*0.25))
	}
	w16 := s.tensor("conv/w16", []int32{2, 3, 3, 2}, Float16, half, nil)
	w := s.tensor("conv/w", []int32{2, 3, 3, 2}, Float32, nil, nil)
	s.op(OpDequantize, 0, nil, []int32{w16}, w)
	c := s.tensor("conv", []int32{1, 4, 4, 2}, Float32, nil, nil)
	s.op(OpConv2D, optConv2D, fbTable{0: fU8(PaddingValid), 1: fI32(1), 2: fI32(1)}, []int32{px, w, -1}, c)
	a := s.tensor("add", []int32{1, 4, 4, 2}, Float32, nil, nil)
	s.op(OpAdd, optAdd, fbTable{0: fU8(ActRelu)}, []int32{c, x}, a)
	k := s.floats("scale", []int32{2}, 2, -0.5)
	m := s.tensor("mul", []int32{1, 4, 4, 2}, Float32, nil, nil)
	s.op(OpMul, optMul, fbTable{}, []int32{a, k}, m)
	hs := s.tensor("hswish", []int32{1, 4, 4, 2}, Float32, nil, nil)
	s.op(OpHardSwish, 0, nil, []int32{m}, hs)
	lg := s.tensor("sigmoid", []int32{1, 4, 4, 2}, Float32, nil, nil)
	s.op(OpLogistic, 0, nil, []int32{c}, lg)
	cat := s.tensor("concat", []int32{1, 4, 4, 4}, Float32, nil, nil)
	s.op(OpConcatenation, optConcatenation, fbTable{0: fI32(-1)}, []int32{hs, lg}, cat)
	mp := s.tensor("maxpool", []int32{1, 2, 2, 4}, Float32, nil, nil)
	s.op(OpMaxPool2D, optPool2D, fbTable{0: fU8(PaddingSame), 1: fI32(2), 2: fI32(2), 3: fI32(3), 4: fI32(3)}, []int32{cat}, mp)
	axes := s.ints("axes", []int32{2}, 1, 2)
	mean := s.tensor("mean", []int32{1, 4}, Float32, nil, nil)
	s.op(OpMean, optReducer, fbTable{}, []int32{mp, axes}, mean)
	s.inputs, s.outputs = []int32{x}, []int32{mean}
	return s
}

// floatToHalf converts a float32 that binary16 represents exactly.
func floatToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	if f == 0 {
		return sign
	}
	exp := int(b>>23&0xff) - 127 + 15
	return sign | uint16(exp)<<10 | uint16(b>>13&0x3ff)
}

// synthModels lists every synthetic model by name.
func synthModels() map[string]*synth {
	return map[string]*synth{"conv": synthConv(), "depthwise": synthDepthwise(), "head": synthHead(), "branches": synthBranches()}
}
