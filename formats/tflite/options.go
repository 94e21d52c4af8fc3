package tflite

import "fmt"

// Conv2DOptions are the options of CONV_2D.
type Conv2DOptions struct {
	Padding              Padding
	StrideW, StrideH     int
	Activation           Activation
	DilationW, DilationH int
}

// DepthwiseConv2DOptions are the options of DEPTHWISE_CONV_2D.
type DepthwiseConv2DOptions struct {
	Padding              Padding
	StrideW, StrideH     int
	DepthMultiplier      int
	Activation           Activation
	DilationW, DilationH int
}

// Pool2DOptions are the options of AVERAGE_POOL_2D and MAX_POOL_2D.
type Pool2DOptions struct {
	Padding                   Padding
	StrideW, StrideH          int
	FilterWidth, FilterHeight int
	Activation                Activation
}

// FullyConnectedOptions are the options of FULLY_CONNECTED.
type FullyConnectedOptions struct {
	Activation    Activation
	WeightsFormat int8 // 0 is the default row-major [out, in] layout
	KeepNumDims   bool
}

// SoftmaxOptions are the options of SOFTMAX.
type SoftmaxOptions struct {
	Beta float32
}

// ConcatenationOptions are the options of CONCATENATION.
type ConcatenationOptions struct {
	Axis       int
	Activation Activation
}

// ActivationOptions are the options of ADD and MUL: a fused activation.
type ActivationOptions struct {
	Activation Activation
}

// ReshapeOptions are the options of RESHAPE; NewShape may be empty when the
// shape comes from the second input instead.
type ReshapeOptions struct {
	NewShape []int
}

// ReducerOptions are the options of MEAN.
type ReducerOptions struct {
	KeepDims bool
}

// SqueezeOptions are the options of SQUEEZE.
type SqueezeOptions struct {
	SqueezeDims []int
}

// optionsTag is the BuiltinOptions union tag each converted operator uses.
var optionsTag = map[BuiltinOp]uint8{
	OpConv2D: optConv2D, OpDepthwiseConv: optDepthwiseConv,
	OpAveragePool2D: optPool2D, OpMaxPool2D: optPool2D,
	OpFullyConnected: optFullyConnected, OpSoftmax: optSoftmax,
	OpConcatenation: optConcatenation, OpAdd: optAdd, OpMul: optMul,
	OpReshape: optReshape, OpPad: optPad, OpMean: optReducer, OpSqueeze: optSqueeze,
}

// parseOptions reads the builtin options of operator table t. Operators
// whose options this package does not use get nil.
func parseOptions(t table, op BuiltinOp) (any, error) {
	want, known := optionsTag[op]
	if !known {
		return nil, nil
	}
	tag, err := t.u8(operatorOptionsType, 0)
	if err != nil {
		return nil, err
	}
	o, present, err := t.subtable(operatorOptions)
	if err != nil {
		return nil, err
	}
	if tag == 0 || !present {
		// Options omitted: every field takes its schema default.
		o = table{}
	} else if tag != want {
		return nil, fmt.Errorf("options type %d, want %d", tag, want)
	}
	return readOptions(o, op)
}

// readOptions decodes an options table; the zero table means "all defaults".
// Defaults are the schema's (strides and beta default to 0, dilations to 1).
func readOptions(o table, op BuiltinOp) (any, error) {
	r := optReader{t: o}
	switch op {
	case OpConv2D:
		return &Conv2DOptions{
			Padding: Padding(r.i8(0, 0)), StrideW: r.i32(1, 0), StrideH: r.i32(2, 0),
			Activation: Activation(r.i8(3, 0)), DilationW: r.i32(4, 1), DilationH: r.i32(5, 1),
		}, r.err
	case OpDepthwiseConv:
		return &DepthwiseConv2DOptions{
			Padding: Padding(r.i8(0, 0)), StrideW: r.i32(1, 0), StrideH: r.i32(2, 0),
			DepthMultiplier: r.i32(3, 0), Activation: Activation(r.i8(4, 0)),
			DilationW: r.i32(5, 1), DilationH: r.i32(6, 1),
		}, r.err
	case OpAveragePool2D, OpMaxPool2D:
		return &Pool2DOptions{
			Padding: Padding(r.i8(0, 0)), StrideW: r.i32(1, 0), StrideH: r.i32(2, 0),
			FilterWidth: r.i32(3, 0), FilterHeight: r.i32(4, 0), Activation: Activation(r.i8(5, 0)),
		}, r.err
	case OpFullyConnected:
		return &FullyConnectedOptions{
			Activation: Activation(r.i8(0, 0)), WeightsFormat: r.i8(1, 0), KeepNumDims: r.i8(2, 0) != 0,
		}, r.err
	case OpSoftmax:
		return &SoftmaxOptions{Beta: r.f32(0, 0)}, r.err
	case OpConcatenation:
		return &ConcatenationOptions{Axis: r.i32(0, 0), Activation: Activation(r.i8(1, 0))}, r.err
	case OpAdd, OpMul:
		return &ActivationOptions{Activation: Activation(r.i8(0, 0))}, r.err
	case OpReshape:
		return &ReshapeOptions{NewShape: r.ints(0)}, r.err
	case OpMean:
		return &ReducerOptions{KeepDims: r.i8(0, 0) != 0}, r.err
	case OpSqueeze:
		return &SqueezeOptions{SqueezeDims: r.ints(0)}, r.err
	}
	return nil, nil
}

// optReader reads option fields, remembering the first error. A zero table
// (no buffer) returns every default.
type optReader struct {
	t   table
	err error
}

func (r *optReader) i8(i int, def int8) int8 {
	if r.t.buf.data == nil || r.err != nil {
		return def
	}
	v, err := r.t.i8(i, def)
	if err != nil {
		r.err = fmt.Errorf("field %d: %w", i, err)
	}
	return v
}

func (r *optReader) i32(i int, def int32) int {
	if r.t.buf.data == nil || r.err != nil {
		return int(def)
	}
	v, err := r.t.i32(i, def)
	if err != nil {
		r.err = fmt.Errorf("field %d: %w", i, err)
	}
	return int(v)
}

func (r *optReader) f32(i int, def float32) float32 {
	if r.t.buf.data == nil || r.err != nil {
		return def
	}
	v, err := r.t.f32(i, def)
	if err != nil {
		r.err = fmt.Errorf("field %d: %w", i, err)
	}
	return v
}

func (r *optReader) ints(i int) []int {
	if r.t.buf.data == nil || r.err != nil {
		return nil
	}
	v, err := r.t.vec(i, 4)
	if err != nil {
		r.err = fmt.Errorf("field %d: %w", i, err)
		return nil
	}
	var out []int
	for _, x := range v.int32s() {
		out = append(out, int(x))
	}
	return out
}
