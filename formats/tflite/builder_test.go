package tflite

import (
	"encoding/binary"
	"math"
	"sort"
)

// This file is a tiny flatbuffer writer for tests: it builds synthetic
// .tflite files (for unit tests and the fuzz corpus) without any shared
// model. Children are written after their parents, so every uoffset points
// forward, as the format requires.

// fbTable maps field indices to values of the types below.
type fbTable map[int]any

type (
	fU8     uint8
	fI32    int32
	fU32    uint32
	fF32    float32
	fU64    uint64
	fStr    string
	fBytes  []byte
	fInts   []int32
	fLongs  []int64
	fFloats []float32
	fTables []fbTable
	// fRepeat is a vector of N offsets that all point at one table.
	fRepeat struct {
		T fbTable
		N int
	}
)

type fbEncoder struct{ b []byte }

func (e *fbEncoder) align(n int) {
	for len(e.b)%n != 0 {
		e.b = append(e.b, 0)
	}
}

func (e *fbEncoder) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }

// patch writes at slot the uoffset to target.
func (e *fbEncoder) patch(slot, target int) {
	binary.LittleEndian.PutUint32(e.b[slot:], uint32(target-slot))
}

// encodeFlatbuffer returns a complete flatbuffer with the given root and
// file identifier.
func encodeFlatbuffer(root fbTable, ident string) []byte {
	e := &fbEncoder{}
	e.u32(0)
	e.b = append(e.b, ident...)
	pos := e.table(root)
	e.patch(0, pos)
	return e.b
}

func (e *fbEncoder) table(t fbTable) int {
	ids := make([]int, 0, len(t))
	for id := range t {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	nf := 0
	if len(ids) > 0 {
		nf = ids[len(ids)-1] + 1
	}
	// Inline layout: soffset, then each field at its natural size.
	offsets := make([]int, nf)
	size := 4
	for _, id := range ids {
		offsets[id] = size
		switch t[id].(type) {
		case fU8:
			size++
		case fU64:
			size += 8
		default:
			size += 4
		}
	}
	e.align(2)
	vt := len(e.b)
	e.b = binary.LittleEndian.AppendUint16(e.b, uint16(4+2*nf))
	e.b = binary.LittleEndian.AppendUint16(e.b, uint16(size))
	for _, o := range offsets {
		e.b = binary.LittleEndian.AppendUint16(e.b, uint16(o))
	}
	e.align(4)
	pos := len(e.b)
	e.b = binary.LittleEndian.AppendUint32(e.b, uint32(int32(pos-vt)))
	type pending struct {
		slot int
		v    any
	}
	var refs []pending
	for _, id := range ids {
		switch v := t[id].(type) {
		case fU8:
			e.b = append(e.b, byte(v))
		case fI32:
			e.u32(uint32(v))
		case fU32:
			e.u32(uint32(v))
		case fF32:
			e.u32(math.Float32bits(float32(v)))
		case fU64:
			e.b = binary.LittleEndian.AppendUint64(e.b, uint64(v))
		default:
			refs = append(refs, pending{len(e.b), v})
			e.u32(0)
		}
	}
	for _, r := range refs {
		e.patch(r.slot, e.value(r.v))
	}
	return pos
}

// value writes a referenced value (table, string or vector) and returns
// its position.
func (e *fbEncoder) value(v any) int {
	if t, ok := v.(fbTable); ok {
		return e.table(t)
	}
	e.align(8)
	pos := len(e.b)
	switch v := v.(type) {
	case fStr:
		e.u32(uint32(len(v)))
		e.b = append(e.b, v...)
		e.b = append(e.b, 0)
	case fBytes:
		e.u32(uint32(len(v)))
		e.b = append(e.b, v...)
	case fInts:
		e.u32(uint32(len(v)))
		for _, x := range v {
			e.u32(uint32(x))
		}
	case fLongs:
		e.u32(uint32(len(v)))
		for _, x := range v {
			e.b = binary.LittleEndian.AppendUint64(e.b, uint64(x))
		}
	case fFloats:
		e.u32(uint32(len(v)))
		for _, x := range v {
			e.u32(math.Float32bits(x))
		}
	case fTables:
		e.u32(uint32(len(v)))
		slots := make([]int, len(v))
		for k := range v {
			slots[k] = len(e.b)
			e.u32(0)
		}
		for k, t := range v {
			e.patch(slots[k], e.table(t))
		}
	case fRepeat:
		e.u32(uint32(v.N))
		slots := make([]int, v.N)
		for k := range slots {
			slots[k] = len(e.b)
			e.u32(0)
		}
		t := e.table(v.T)
		for _, s := range slots {
			e.patch(s, t)
		}
	default:
		panic("fbEncoder: unsupported value type")
	}
	return pos
}

// synth describes a one-subgraph .tflite model for tests.
type synth struct {
	tensors []fbTable
	buffers []fbTable
	codes   []fbTable
	ops     []fbTable
	inputs  []int32
	outputs []int32
}

func newSynth() *synth {
	return &synth{buffers: []fbTable{{}}} // buffer 0 is the empty buffer
}

// quant returns a QuantizationParameters table.
func quant(scale []float32, zp []int64, dim int32) fbTable {
	q := fbTable{quantScale: fFloats(scale), quantZeroPoint: fLongs(zp)}
	if dim != 0 {
		q[quantDimension] = fI32(dim)
	}
	return q
}

// tensor adds a tensor and returns its index; data nil means an activation.
func (s *synth) tensor(name string, shape []int32, typ TensorType, data []byte, q fbTable) int32 {
	t := fbTable{tensorShape: fInts(shape), tensorType: fU8(typ), tensorName: fStr(name)}
	if data != nil {
		s.buffers = append(s.buffers, fbTable{bufferData: fBytes(data)})
		t[tensorBuffer] = fU32(len(s.buffers) - 1)
	}
	if q != nil {
		t[tensorQuantization] = q
	}
	s.tensors = append(s.tensors, t)
	return int32(len(s.tensors) - 1)
}

// floats adds a FLOAT32 constant.
func (s *synth) floats(name string, shape []int32, v ...float32) int32 {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return s.tensor(name, shape, Float32, b, nil)
}

// ints adds an INT32 constant.
func (s *synth) ints(name string, shape []int32, v ...int32) int32 {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return s.tensor(name, shape, Int32, b, nil)
}

// op adds an operator with the given builtin code and options.
func (s *synth) op(code BuiltinOp, optType uint8, opts fbTable, inputs []int32, outputs ...int32) {
	idx := -1
	for k, c := range s.codes {
		if c[opcodeBuiltin] == fI32(code) {
			idx = k
		}
	}
	if idx < 0 {
		c := fbTable{opcodeBuiltin: fI32(code), opcodeVersion: fI32(1)}
		if code < 127 {
			c[opcodeDeprecatedBuiltin] = fU8(code)
		} else {
			c[opcodeDeprecatedBuiltin] = fU8(127)
		}
		s.codes = append(s.codes, c)
		idx = len(s.codes) - 1
	}
	o := fbTable{operatorOpcodeIndex: fU32(idx), operatorInputs: fInts(inputs), operatorOutputs: fInts(outputs)}
	if opts != nil {
		o[operatorOptionsType] = fU8(optType)
		o[operatorOptions] = opts
	}
	s.ops = append(s.ops, o)
}

func (s *synth) bytes() []byte {
	sg := fbTable{
		subgraphTensors:   fTables(s.tensors),
		subgraphInputs:    fInts(s.inputs),
		subgraphOutputs:   fInts(s.outputs),
		subgraphOperators: fTables(s.ops),
		subgraphName:      fStr("main"),
	}
	m := fbTable{
		modelVersion:       fU32(3),
		modelOperatorCodes: fTables(s.codes),
		modelSubgraphs:     fTables{sg},
		modelDescription:   fStr("synthetic"),
		modelBuffers:       fTables(s.buffers),
	}
	return encodeFlatbuffer(m, "TFL3")
}
