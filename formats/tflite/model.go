package tflite

import (
	"fmt"
	"os"
)

// File is a parsed .tflite flatbuffer: operator codes, subgraphs and the
// buffers their constant tensors point into. Byte slices alias the data the
// file was parsed from.
type File struct {
	Name          string // file name used in error messages
	Version       uint32
	Description   string
	OperatorCodes []OperatorCode
	Subgraphs     []*Subgraph
	Buffers       [][]byte
}

// OperatorCode is one entry of the model's operator_codes table.
type OperatorCode struct {
	Builtin BuiltinOp
	Custom  string // custom_code, for OpCustom
	Version int32
}

// Subgraph is one graph of the model; Subgraphs[0] is the main one.
type Subgraph struct {
	Name      string
	Tensors   []*Tensor
	Inputs    []int
	Outputs   []int
	Operators []*Operator
}

// Tensor is one tensor of a subgraph. Data is nil for activations and holds
// the raw little-endian bytes for constants.
type Tensor struct {
	Index  int
	Name   string
	Shape  []int
	Type   TensorType
	Buffer int
	Data   []byte
	Quant  *Quantization // nil when the tensor is not quantised
}

// Quantization maps stored integers q to reals: r = Scale*(q-ZeroPoint).
// With more than one scale the parameters are per channel along Dimension.
type Quantization struct {
	Scale     []float32
	ZeroPoint []int64
	Dimension int
	Min, Max  []float32
}

// PerChannel reports whether the parameters vary along Dimension.
func (q *Quantization) PerChannel() bool { return q != nil && len(q.Scale) > 1 }

// Operator is one node of a subgraph. Inputs and Outputs are tensor indices;
// -1 marks an omitted optional input. Options holds the builtin options as
// one of the *Options types of this package, or nil.
type Operator struct {
	Index   int
	Op      BuiltinOp
	Custom  string
	Version int32
	Inputs  []int
	Outputs []int
	Options any
}

// maxRank bounds tensor ranks; TFLite kernels support at most 6 dimensions.
const maxRank = 8

// ReadFile reads and parses a .tflite file.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tflite: %w", err)
	}
	return Parse(data, path)
}

// Parse parses a .tflite flatbuffer held in data; name labels errors.
func Parse(data []byte, name string) (*File, error) {
	f, err := parse(newFbuf(data), name)
	if err != nil {
		return nil, fmt.Errorf("tflite: %s: %w", name, err)
	}
	return f, nil
}

func parse(b fbuf, name string) (*File, error) {
	if len(b.data) < 8 {
		return nil, fmt.Errorf("%d bytes is too short for a flatbuffer", len(b.data))
	}
	if id := string(b.data[4:8]); id != "TFL3" {
		return nil, fmt.Errorf("file identifier %q is not \"TFL3\"", id)
	}
	root, err := b.root()
	if err != nil {
		return nil, err
	}
	f := &File{Name: name}
	if f.Version, err = root.u32(modelVersion, 0); err != nil {
		return nil, fmt.Errorf("model version: %w", err)
	}
	if f.Version != 3 {
		return nil, fmt.Errorf("schema version %d is not 3", f.Version)
	}
	if f.Description, err = root.str(modelDescription); err != nil {
		return nil, fmt.Errorf("model description: %w", err)
	}
	if err := f.parseBuffers(b, root); err != nil {
		return nil, err
	}
	if err := f.parseOperatorCodes(root); err != nil {
		return nil, err
	}
	subs, err := root.vec(modelSubgraphs, 4)
	if err != nil {
		return nil, fmt.Errorf("subgraphs: %w", err)
	}
	if subs.n == 0 {
		return nil, fmt.Errorf("the model has no subgraphs")
	}
	for k := 0; k < subs.n; k++ {
		t, err := subs.table(k)
		if err != nil {
			return nil, fmt.Errorf("subgraph %d: %w", k, err)
		}
		sg, err := f.parseSubgraph(t)
		if err != nil {
			return nil, fmt.Errorf("subgraph %d: %w", k, err)
		}
		f.Subgraphs = append(f.Subgraphs, sg)
	}
	return f, nil
}

func (f *File) parseBuffers(b fbuf, root table) error {
	bufs, err := root.vec(modelBuffers, 4)
	if err != nil {
		return fmt.Errorf("buffers: %w", err)
	}
	f.Buffers = make([][]byte, bufs.n)
	for k := range f.Buffers {
		t, err := bufs.table(k)
		if err != nil {
			return fmt.Errorf("buffer %d: %w", k, err)
		}
		data, err := t.vec(bufferData, 1)
		if err != nil {
			return fmt.Errorf("buffer %d: data: %w", k, err)
		}
		f.Buffers[k] = data.bytes()
		off, err := t.u64(bufferOffset, 0)
		if err != nil {
			return fmt.Errorf("buffer %d: offset: %w", k, err)
		}
		if off > 1 { // data stored after the flatbuffer (models over 2 GB)
			size, err := t.u64(bufferSize, 0)
			if err != nil {
				return fmt.Errorf("buffer %d: size: %w", k, err)
			}
			if off > uint64(len(b.data)) || size > uint64(len(b.data))-off {
				return fmt.Errorf("buffer %d: %d bytes at offset %d: %w", k, size, off, errOutOfBounds)
			}
			f.Buffers[k] = b.data[off : off+size]
		}
	}
	return nil
}

func (f *File) parseOperatorCodes(root table) error {
	codes, err := root.vec(modelOperatorCodes, 4)
	if err != nil {
		return fmt.Errorf("operator codes: %w", err)
	}
	f.OperatorCodes = make([]OperatorCode, codes.n)
	for k := range f.OperatorCodes {
		t, err := codes.table(k)
		if err != nil {
			return fmt.Errorf("operator code %d: %w", k, err)
		}
		dep, err := t.i8(opcodeDeprecatedBuiltin, 0)
		if err != nil {
			return fmt.Errorf("operator code %d: %w", k, err)
		}
		code, err := t.i32(opcodeBuiltin, 0)
		if err != nil {
			return fmt.Errorf("operator code %d: %w", k, err)
		}
		// Files written before builtin_code existed only set the byte
		// field; newer files set both (the byte saturates at 127). The
		// schema's rule: the larger of the two is the operator.
		op := BuiltinOp(max(int32(dep), code))
		custom, err := t.str(opcodeCustomCode)
		if err != nil {
			return fmt.Errorf("operator code %d: custom code: %w", k, err)
		}
		version, err := t.i32(opcodeVersion, 1)
		if err != nil {
			return fmt.Errorf("operator code %d: version: %w", k, err)
		}
		f.OperatorCodes[k] = OperatorCode{Builtin: op, Custom: custom, Version: version}
	}
	return nil
}

func (f *File) parseSubgraph(t table) (*Subgraph, error) {
	sg := &Subgraph{}
	var err error
	if sg.Name, err = t.str(subgraphName); err != nil {
		return nil, fmt.Errorf("name: %w", err)
	}
	tensors, err := t.vec(subgraphTensors, 4)
	if err != nil {
		return nil, fmt.Errorf("tensors: %w", err)
	}
	sg.Tensors = make([]*Tensor, tensors.n)
	for k := range sg.Tensors {
		tt, err := tensors.table(k)
		if err != nil {
			return nil, fmt.Errorf("tensor %d: %w", k, err)
		}
		if sg.Tensors[k], err = f.parseTensor(tt, k); err != nil {
			return nil, err
		}
	}
	if sg.Inputs, err = tensorIndices(t, subgraphInputs, len(sg.Tensors), false); err != nil {
		return nil, fmt.Errorf("inputs: %w", err)
	}
	if sg.Outputs, err = tensorIndices(t, subgraphOutputs, len(sg.Tensors), false); err != nil {
		return nil, fmt.Errorf("outputs: %w", err)
	}
	ops, err := t.vec(subgraphOperators, 4)
	if err != nil {
		return nil, fmt.Errorf("operators: %w", err)
	}
	sg.Operators = make([]*Operator, ops.n)
	for k := range sg.Operators {
		ot, err := ops.table(k)
		if err != nil {
			return nil, fmt.Errorf("operator %d: %w", k, err)
		}
		if sg.Operators[k], err = f.parseOperator(ot, k, len(sg.Tensors)); err != nil {
			return nil, err
		}
	}
	return sg, nil
}

// tensorIndices reads a vector of tensor indices and checks each is in
// range; optional allows -1 (an omitted input).
func tensorIndices(t table, field, numTensors int, optional bool) ([]int, error) {
	v, err := t.vec(field, 4)
	if err != nil {
		return nil, err
	}
	raw := v.int32s()
	out := make([]int, len(raw))
	for k, x := range raw {
		if (x < 0 && !(optional && x == -1)) || int(x) >= numTensors {
			return nil, fmt.Errorf("index %d names tensor %d of %d", k, x, numTensors)
		}
		out[k] = int(x)
	}
	return out, nil
}

func (f *File) parseTensor(t table, index int) (*Tensor, error) {
	tn := &Tensor{Index: index}
	var err error
	wrap := func(what string, err error) error {
		if tn.Name != "" {
			return fmt.Errorf("tensor %d %q: %s: %w", index, tn.Name, what, err)
		}
		return fmt.Errorf("tensor %d: %s: %w", index, what, err)
	}
	if tn.Name, err = t.str(tensorName); err != nil {
		return nil, wrap("name", err)
	}
	shape, err := t.vec(tensorShape, 4)
	if err != nil {
		return nil, wrap("shape", err)
	}
	if shape.n > maxRank {
		return nil, wrap("shape", fmt.Errorf("rank %d exceeds %d", shape.n, maxRank))
	}
	numel := 1
	for _, d := range shape.int32s() {
		if d < 0 {
			return nil, wrap("shape", fmt.Errorf("dimension %d is negative", d))
		}
		if d > 0 && numel > (1<<40)/int(d) {
			return nil, wrap("shape", fmt.Errorf("%d elements is too many", numel))
		}
		numel *= int(d)
		tn.Shape = append(tn.Shape, int(d))
	}
	typ, err := t.i8(tensorType, 0)
	if err != nil {
		return nil, wrap("type", err)
	}
	tn.Type = TensorType(typ)
	buf, err := t.u32(tensorBuffer, 0)
	if err != nil {
		return nil, wrap("buffer", err)
	}
	if int(buf) >= len(f.Buffers) && !(buf == 0 && len(f.Buffers) == 0) {
		return nil, wrap("buffer", fmt.Errorf("index %d of %d buffers", buf, len(f.Buffers)))
	}
	tn.Buffer = int(buf)
	if len(f.Buffers) > 0 && len(f.Buffers[buf]) > 0 {
		tn.Data = f.Buffers[buf]
		if size := tn.Type.Size(); size > 0 && len(tn.Data) != numel*size {
			return nil, wrap("data", fmt.Errorf("%d bytes for shape %v of %s (want %d)", len(tn.Data), tn.Shape, tn.Type, numel*size))
		}
	}
	q, ok, err := t.subtable(tensorQuantization)
	if err != nil {
		return nil, wrap("quantization", err)
	}
	if ok {
		if tn.Quant, err = parseQuantization(q, tn.Shape); err != nil {
			return nil, wrap("quantization", err)
		}
	}
	return tn, nil
}

func parseQuantization(t table, shape []int) (*Quantization, error) {
	scale, err := t.vec(quantScale, 4)
	if err != nil {
		return nil, fmt.Errorf("scale: %w", err)
	}
	if scale.n == 0 {
		return nil, nil // min/max only, or nothing: not quantised
	}
	q := &Quantization{Scale: scale.float32s()}
	zp, err := t.vec(quantZeroPoint, 8)
	if err != nil {
		return nil, fmt.Errorf("zero_point: %w", err)
	}
	q.ZeroPoint = zp.int64s()
	switch {
	case len(q.ZeroPoint) == 0:
		q.ZeroPoint = make([]int64, len(q.Scale))
	case len(q.ZeroPoint) != len(q.Scale):
		return nil, fmt.Errorf("%d zero points for %d scales", len(q.ZeroPoint), len(q.Scale))
	}
	dim, err := t.i32(quantDimension, 0)
	if err != nil {
		return nil, fmt.Errorf("quantized_dimension: %w", err)
	}
	q.Dimension = int(dim)
	if len(q.Scale) > 1 {
		if dim < 0 || int(dim) >= len(shape) || shape[dim] != len(q.Scale) {
			return nil, fmt.Errorf("%d scales along dimension %d of shape %v", len(q.Scale), dim, shape)
		}
	}
	for _, s := range q.Scale {
		if !(s > 0) || s != s || s > 3.4e38 {
			return nil, fmt.Errorf("scale %g is not a positive finite number", s)
		}
	}
	mn, err := t.vec(quantMin, 4)
	if err != nil {
		return nil, fmt.Errorf("min: %w", err)
	}
	mx, err := t.vec(quantMax, 4)
	if err != nil {
		return nil, fmt.Errorf("max: %w", err)
	}
	q.Min, q.Max = mn.float32s(), mx.float32s()
	return q, nil
}

func (f *File) parseOperator(t table, index, numTensors int) (*Operator, error) {
	op := &Operator{Index: index}
	wrap := func(what string, err error) error {
		return fmt.Errorf("operator %d (%s): %s: %w", index, op.Op, what, err)
	}
	code, err := t.u32(operatorOpcodeIndex, 0)
	if err != nil {
		return nil, fmt.Errorf("operator %d: opcode_index: %w", index, err)
	}
	if int(code) >= len(f.OperatorCodes) {
		return nil, fmt.Errorf("operator %d: opcode_index %d of %d operator codes", index, code, len(f.OperatorCodes))
	}
	oc := f.OperatorCodes[code]
	op.Op, op.Custom, op.Version = oc.Builtin, oc.Custom, oc.Version
	if op.Inputs, err = tensorIndices(t, operatorInputs, numTensors, true); err != nil {
		return nil, wrap("inputs", err)
	}
	if op.Outputs, err = tensorIndices(t, operatorOutputs, numTensors, false); err != nil {
		return nil, wrap("outputs", err)
	}
	if op.Options, err = parseOptions(t, op.Op); err != nil {
		return nil, wrap("options", err)
	}
	return op, nil
}
