package tflite

import "fmt"

// TensorType is the element type of a TFLite tensor.
type TensorType int8

// The tensor types this package understands (schema.fbs TensorType).
const (
	Float32 TensorType = 0
	Float16 TensorType = 1
	Int32   TensorType = 2
	Uint8   TensorType = 3
	Int64   TensorType = 4
	String  TensorType = 5
	Bool    TensorType = 6
	Int16   TensorType = 7
	Int8    TensorType = 9
)

var tensorTypeNames = map[TensorType]string{
	Float32: "FLOAT32", Float16: "FLOAT16", Int32: "INT32", Uint8: "UINT8",
	Int64: "INT64", String: "STRING", Bool: "BOOL", Int16: "INT16", Int8: "INT8",
}

// String returns the schema name, e.g. "UINT8".
func (t TensorType) String() string {
	if s, ok := tensorTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("TensorType(%d)", int8(t))
}

// Size returns the width of one element in bytes, or 0 for a type without a
// fixed width (STRING) or one this package does not know.
func (t TensorType) Size() int {
	switch t {
	case Uint8, Int8, Bool:
		return 1
	case Float16, Int16:
		return 2
	case Float32, Int32:
		return 4
	case Int64:
		return 8
	}
	return 0
}

// BuiltinOp is a TFLite builtin operator code.
type BuiltinOp int32

// The builtin operators this package converts, plus CUSTOM (schema.fbs
// BuiltinOperator).
const (
	OpAdd            BuiltinOp = 0
	OpAveragePool2D  BuiltinOp = 1
	OpConcatenation  BuiltinOp = 2
	OpConv2D         BuiltinOp = 3
	OpDepthwiseConv  BuiltinOp = 4
	OpDequantize     BuiltinOp = 6
	OpFullyConnected BuiltinOp = 9
	OpLogistic       BuiltinOp = 14
	OpMaxPool2D      BuiltinOp = 17
	OpMul            BuiltinOp = 18
	OpRelu           BuiltinOp = 19
	OpRelu6          BuiltinOp = 21
	OpReshape        BuiltinOp = 22
	OpSoftmax        BuiltinOp = 25
	OpCustom         BuiltinOp = 32
	OpPad            BuiltinOp = 34
	OpMean           BuiltinOp = 40
	OpSqueeze        BuiltinOp = 43
	OpQuantize       BuiltinOp = 114
	OpHardSwish      BuiltinOp = 117
)

var builtinOpNames = map[BuiltinOp]string{
	OpAdd: "ADD", OpAveragePool2D: "AVERAGE_POOL_2D", OpConcatenation: "CONCATENATION",
	OpConv2D: "CONV_2D", OpDepthwiseConv: "DEPTHWISE_CONV_2D", OpDequantize: "DEQUANTIZE",
	OpFullyConnected: "FULLY_CONNECTED", OpLogistic: "LOGISTIC", OpMaxPool2D: "MAX_POOL_2D",
	OpMul: "MUL", OpRelu: "RELU", OpRelu6: "RELU6", OpReshape: "RESHAPE", OpSoftmax: "SOFTMAX",
	OpCustom: "CUSTOM", OpPad: "PAD", OpMean: "MEAN", OpSqueeze: "SQUEEZE",
	OpQuantize: "QUANTIZE", OpHardSwish: "HARD_SWISH",
}

// String returns the schema name, e.g. "CONV_2D".
func (o BuiltinOp) String() string {
	if s, ok := builtinOpNames[o]; ok {
		return s
	}
	return fmt.Sprintf("BuiltinOperator(%d)", int32(o))
}

// Padding is a convolution or pooling padding scheme.
type Padding int8

// TFLite paddings.
const (
	PaddingSame  Padding = 0
	PaddingValid Padding = 1
)

// String returns "SAME" or "VALID".
func (p Padding) String() string {
	switch p {
	case PaddingSame:
		return "SAME"
	case PaddingValid:
		return "VALID"
	}
	return fmt.Sprintf("Padding(%d)", int8(p))
}

// Activation is a fused activation function.
type Activation int8

// TFLite fused activations.
const (
	ActNone      Activation = 0
	ActRelu      Activation = 1
	ActReluN1To1 Activation = 2
	ActRelu6     Activation = 3
	ActTanh      Activation = 4
	ActSignBit   Activation = 5
)

// String returns the schema name, e.g. "RELU6".
func (a Activation) String() string {
	switch a {
	case ActNone:
		return "NONE"
	case ActRelu:
		return "RELU"
	case ActReluN1To1:
		return "RELU_N1_TO_1"
	case ActRelu6:
		return "RELU6"
	case ActTanh:
		return "TANH"
	case ActSignBit:
		return "SIGN_BIT"
	}
	return fmt.Sprintf("Activation(%d)", int8(a))
}

// Field indices of the schema's tables (schema.fbs declaration order).
const (
	modelVersion       = 0
	modelOperatorCodes = 1
	modelSubgraphs     = 2
	modelDescription   = 3
	modelBuffers       = 4

	opcodeDeprecatedBuiltin = 0
	opcodeCustomCode        = 1
	opcodeVersion           = 2
	opcodeBuiltin           = 3

	subgraphTensors   = 0
	subgraphInputs    = 1
	subgraphOutputs   = 2
	subgraphOperators = 3
	subgraphName      = 4

	tensorShape        = 0
	tensorType         = 1
	tensorBuffer       = 2
	tensorName         = 3
	tensorQuantization = 4

	quantMin       = 0
	quantMax       = 1
	quantScale     = 2
	quantZeroPoint = 3
	quantDetails   = 4 // union type; 5 is its value
	quantDimension = 6

	operatorOpcodeIndex    = 0
	operatorInputs         = 1
	operatorOutputs        = 2
	operatorOptionsType    = 3
	operatorOptions        = 4
	operatorCustomOptions  = 5
	operatorIntermediates  = 8
	operatorLargeCustomOff = 9

	bufferData   = 0
	bufferOffset = 1
	bufferSize   = 2
)

// The BuiltinOptions union tags for the option tables this package reads.
const (
	optConv2D         = 1
	optDepthwiseConv  = 2
	optPool2D         = 5
	optFullyConnected = 8
	optSoftmax        = 9
	optConcatenation  = 10
	optAdd            = 11
	optReshape        = 17
	optMul            = 21
	optPad            = 22
	optReducer        = 27
	optSqueeze        = 30
)
