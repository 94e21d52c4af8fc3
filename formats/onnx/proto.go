package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
)

// This file decodes the protobuf wire format of ONNX's ModelProto by hand:
// only the messages and fields a CNN needs, every length checked against the
// bytes that remain, unknown fields skipped.

// Model is a decoded ONNX ModelProto.
type Model struct {
	IRVersion    int64
	Opsets       map[string]int64 // domain ("" is ai.onnx) -> version
	ProducerName string
	Graph        Graph
}

// Graph is a decoded GraphProto.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers []TensorProto
	Inputs       []ValueInfo
	Outputs      []ValueInfo
}

// Node is a decoded NodeProto.
type Node struct {
	Name    string
	OpType  string
	Domain  string
	Inputs  []string
	Outputs []string
	Attrs   []Attribute
}

// Attribute is a decoded AttributeProto.
type Attribute struct {
	Name    string
	Type    int64
	F       float32
	I       int64
	S       []byte
	T       *TensorProto
	Floats  []float32
	Ints    []int64
	Strings [][]byte
}

// ValueInfo is a graph input or output: a name and, for tensors, the
// element type and dimensions (-1 for a symbolic dimension).
type ValueInfo struct {
	Name     string
	ElemType int64
	Dims     []int64
}

// TensorProto is a decoded tensor constant.
type TensorProto struct {
	Name       string
	Dims       []int64
	DataType   int64
	RawData    []byte
	FloatData  []float32
	Int32Data  []int32
	Int64Data  []int64
	DoubleData []float64
	External   bool
}

// ONNX element types.
const (
	TypeFloat    = 1
	TypeUint8    = 2
	TypeInt8     = 3
	TypeUint16   = 4
	TypeInt16    = 5
	TypeInt32    = 6
	TypeInt64    = 7
	TypeBool     = 9
	TypeFloat16  = 10
	TypeDouble   = 11
	TypeUint32   = 12
	TypeUint64   = 13
	TypeBFloat16 = 16
)

// wire is a bounds-checked protobuf reader over one message's bytes.
type wire struct {
	b   []byte
	pos int
}

func (w *wire) done() bool { return w.pos >= len(w.b) }

func (w *wire) varint() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if w.pos >= len(w.b) {
			return 0, fmt.Errorf("truncated varint at byte %d", w.pos)
		}
		c := w.b[w.pos]
		w.pos++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("varint too long at byte %d", w.pos)
}

// field reads a tag: the field number and wire type.
func (w *wire) field() (num int, typ int, err error) {
	t, err := w.varint()
	if err != nil {
		return 0, 0, err
	}
	if t>>3 == 0 || t>>3 > math.MaxInt32 {
		return 0, 0, fmt.Errorf("invalid field number %d at byte %d", t>>3, w.pos)
	}
	return int(t >> 3), int(t & 7), nil
}

func (w *wire) bytes() ([]byte, error) {
	n, err := w.varint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(w.b)-w.pos) {
		return nil, fmt.Errorf("field of %d bytes at byte %d overruns its message (%d left)", n, w.pos, len(w.b)-w.pos)
	}
	b := w.b[w.pos : w.pos+int(n)]
	w.pos += int(n)
	return b, nil
}

func (w *wire) fixed32() (uint32, error) {
	if w.pos+4 > len(w.b) {
		return 0, fmt.Errorf("truncated fixed32 at byte %d", w.pos)
	}
	v := binary.LittleEndian.Uint32(w.b[w.pos:])
	w.pos += 4
	return v, nil
}

func (w *wire) fixed64() (uint64, error) {
	if w.pos+8 > len(w.b) {
		return 0, fmt.Errorf("truncated fixed64 at byte %d", w.pos)
	}
	v := binary.LittleEndian.Uint64(w.b[w.pos:])
	w.pos += 8
	return v, nil
}

func (w *wire) skip(typ int) error {
	switch typ {
	case 0:
		_, err := w.varint()
		return err
	case 1:
		_, err := w.fixed64()
		return err
	case 2:
		_, err := w.bytes()
		return err
	case 5:
		_, err := w.fixed32()
		return err
	}
	return fmt.Errorf("unsupported wire type %d at byte %d", typ, w.pos)
}

// ints reads a repeated int64 field, packed (wire type 2) or not (0).
func (w *wire) ints(typ int, dst []int64) ([]int64, error) {
	if typ == 0 {
		v, err := w.varint()
		return append(dst, int64(v)), err
	}
	if typ != 2 {
		return dst, fmt.Errorf("repeated integer with wire type %d", typ)
	}
	b, err := w.bytes()
	if err != nil {
		return dst, err
	}
	sub := wire{b: b}
	for !sub.done() {
		v, err := sub.varint()
		if err != nil {
			return dst, err
		}
		dst = append(dst, int64(v))
	}
	return dst, nil
}

// floats reads a repeated float field, packed or not.
func (w *wire) floats(typ int, dst []float32) ([]float32, error) {
	if typ == 5 {
		v, err := w.fixed32()
		return append(dst, math.Float32frombits(v)), err
	}
	if typ != 2 {
		return dst, fmt.Errorf("repeated float with wire type %d", typ)
	}
	b, err := w.bytes()
	if err != nil {
		return dst, err
	}
	if len(b)%4 != 0 {
		return dst, fmt.Errorf("packed floats of %d bytes", len(b))
	}
	for i := 0; i < len(b); i += 4 {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
	}
	return dst, nil
}

func (w *wire) doubles(typ int, dst []float64) ([]float64, error) {
	if typ == 1 {
		v, err := w.fixed64()
		return append(dst, math.Float64frombits(v)), err
	}
	if typ != 2 {
		return dst, fmt.Errorf("repeated double with wire type %d", typ)
	}
	b, err := w.bytes()
	if err != nil {
		return dst, err
	}
	if len(b)%8 != 0 {
		return dst, fmt.Errorf("packed doubles of %d bytes", len(b))
	}
	for i := 0; i < len(b); i += 8 {
		dst = append(dst, math.Float64frombits(binary.LittleEndian.Uint64(b[i:])))
	}
	return dst, nil
}

// decodeModel parses a ModelProto.
func decodeModel(b []byte) (*Model, error) {
	m := &Model{Opsets: map[string]int64{}}
	w := wire{b: b}
	sawGraph := false
	for !w.done() {
		num, typ, err := w.field()
		if err != nil {
			return nil, err
		}
		switch {
		case num == 1 && typ == 0:
			v, err := w.varint()
			if err != nil {
				return nil, err
			}
			m.IRVersion = int64(v)
		case num == 2 && typ == 2:
			s, err := w.bytes()
			if err != nil {
				return nil, err
			}
			m.ProducerName = string(s)
		case num == 7 && typ == 2:
			s, err := w.bytes()
			if err != nil {
				return nil, err
			}
			if err := decodeGraph(s, &m.Graph); err != nil {
				return nil, fmt.Errorf("graph: %w", err)
			}
			sawGraph = true
		case num == 8 && typ == 2:
			s, err := w.bytes()
			if err != nil {
				return nil, err
			}
			dom, ver, err := decodeOpset(s)
			if err != nil {
				return nil, fmt.Errorf("opset_import: %w", err)
			}
			m.Opsets[dom] = ver
		default:
			if err := w.skip(typ); err != nil {
				return nil, err
			}
		}
	}
	if !sawGraph {
		return nil, fmt.Errorf("no graph in the model")
	}
	return m, nil
}

func decodeOpset(b []byte) (string, int64, error) {
	w := wire{b: b}
	var dom string
	var ver int64
	for !w.done() {
		num, typ, err := w.field()
		if err != nil {
			return "", 0, err
		}
		switch {
		case num == 1 && typ == 2:
			s, err := w.bytes()
			if err != nil {
				return "", 0, err
			}
			dom = string(s)
		case num == 2 && typ == 0:
			v, err := w.varint()
			if err != nil {
				return "", 0, err
			}
			ver = int64(v)
		default:
			if err := w.skip(typ); err != nil {
				return "", 0, err
			}
		}
	}
	return dom, ver, nil
}

func decodeGraph(b []byte, g *Graph) error {
	w := wire{b: b}
	for !w.done() {
		num, typ, err := w.field()
		if err != nil {
			return err
		}
		if typ != 2 {
			if err := w.skip(typ); err != nil {
				return err
			}
			continue
		}
		s, err := w.bytes()
		if err != nil {
			return err
		}
		switch num {
		case 1:
			n, err := decodeNode(s)
			if err != nil {
				return fmt.Errorf("node %d: %w", len(g.Nodes), err)
			}
			g.Nodes = append(g.Nodes, n)
		case 2:
			g.Name = string(s)
		case 5:
			t, err := decodeTensor(s)
			if err != nil {
				return fmt.Errorf("initializer %d: %w", len(g.Initializers), err)
			}
			g.Initializers = append(g.Initializers, t)
		case 11, 12:
			v, err := decodeValueInfo(s)
			if err != nil {
				return fmt.Errorf("value info: %w", err)
			}
			if num == 11 {
				g.Inputs = append(g.Inputs, v)
			} else {
				g.Outputs = append(g.Outputs, v)
			}
		}
	}
	return nil
}

func decodeNode(b []byte) (Node, error) {
	var n Node
	w := wire{b: b}
	for !w.done() {
		num, typ, err := w.field()
		if err != nil {
			return n, err
		}
		if typ != 2 {
			if err := w.skip(typ); err != nil {
				return n, err
			}
			continue
		}
		s, err := w.bytes()
		if err != nil {
			return n, err
		}
		switch num {
		case 1:
			n.Inputs = append(n.Inputs, string(s))
		case 2:
			n.Outputs = append(n.Outputs, string(s))
		case 3:
			n.Name = string(s)
		case 4:
			n.OpType = string(s)
		case 5:
			a, err := decodeAttr(s)
			if err != nil {
				return n, fmt.Errorf("attribute: %w", err)
			}
			n.Attrs = append(n.Attrs, a)
		case 7:
			n.Domain = string(s)
		}
	}
	return n, nil
}

func decodeAttr(b []byte) (Attribute, error) {
	var a Attribute
	w := wire{b: b}
	for !w.done() {
		num, typ, err := w.field()
		if err != nil {
			return a, err
		}
		switch {
		case num == 1 && typ == 2:
			s, err := w.bytes()
			if err != nil {
				return a, err
			}
			a.Name = string(s)
		case num == 2 && typ == 5:
			v, err := w.fixed32()
			if err != nil {
				return a, err
			}
			a.F = math.Float32frombits(v)
		case num == 3 && typ == 0:
			v, err := w.varint()
			if err != nil {
				return a, err
			}
			a.I = int64(v)
		case num == 4 && typ == 2:
			s, err := w.bytes()
			if err != nil {
				return a, err
			}
			a.S = s
		case num == 5 && typ == 2:
			s, err := w.bytes()
			if err != nil {
				return a, err
			}
			t, err := decodeTensor(s)
			if err != nil {
				return a, err
			}
			a.T = &t
		case num == 7:
			if a.Floats, err = w.floats(typ, a.Floats); err != nil {
				return a, err
			}
		case num == 8:
			if a.Ints, err = w.ints(typ, a.Ints); err != nil {
				return a, err
			}
		case num == 9 && typ == 2:
			s, err := w.bytes()
			if err != nil {
				return a, err
			}
			a.Strings = append(a.Strings, s)
		case num == 20 && typ == 0:
			v, err := w.varint()
			if err != nil {
				return a, err
			}
			a.Type = int64(v)
		default:
			if err := w.skip(typ); err != nil {
				return a, err
			}
		}
	}
	return a, nil
}

func decodeTensor(b []byte) (TensorProto, error) {
	var t TensorProto
	w := wire{b: b}
	for !w.done() {
		num, typ, err := w.field()
		if err != nil {
			return t, err
		}
		switch {
		case num == 1:
			if t.Dims, err = w.ints(typ, t.Dims); err != nil {
				return t, err
			}
		case num == 2 && typ == 0:
			v, err := w.varint()
			if err != nil {
				return t, err
			}
			t.DataType = int64(v)
		case num == 4:
			if t.FloatData, err = w.floats(typ, t.FloatData); err != nil {
				return t, err
			}
		case num == 5:
			var v []int64
			if v, err = w.ints(typ, nil); err != nil {
				return t, err
			}
			for _, x := range v {
				t.Int32Data = append(t.Int32Data, int32(x))
			}
		case num == 7:
			if t.Int64Data, err = w.ints(typ, t.Int64Data); err != nil {
				return t, err
			}
		case num == 8 && typ == 2:
			s, err := w.bytes()
			if err != nil {
				return t, err
			}
			t.Name = string(s)
		case num == 9 && typ == 2:
			s, err := w.bytes()
			if err != nil {
				return t, err
			}
			t.RawData = s
		case num == 10:
			if t.DoubleData, err = w.doubles(typ, t.DoubleData); err != nil {
				return t, err
			}
		case num == 14 && typ == 0:
			v, err := w.varint()
			if err != nil {
				return t, err
			}
			t.External = v == 1
		default:
			if err := w.skip(typ); err != nil {
				return t, err
			}
		}
	}
	return t, nil
}

func decodeValueInfo(b []byte) (ValueInfo, error) {
	var v ValueInfo
	w := wire{b: b}
	for !w.done() {
		num, typ, err := w.field()
		if err != nil {
			return v, err
		}
		if typ != 2 {
			if err := w.skip(typ); err != nil {
				return v, err
			}
			continue
		}
		s, err := w.bytes()
		if err != nil {
			return v, err
		}
		switch num {
		case 1:
			v.Name = string(s)
		case 2: // TypeProto
			if err := decodeType(s, &v); err != nil {
				return v, fmt.Errorf("%s: %w", v.Name, err)
			}
		}
	}
	return v, nil
}

// decodeType reads TypeProto.tensor_type (field 1): elem_type and shape.
func decodeType(b []byte, v *ValueInfo) error {
	w := wire{b: b}
	for !w.done() {
		num, typ, err := w.field()
		if err != nil {
			return err
		}
		if num != 1 || typ != 2 {
			if err := w.skip(typ); err != nil {
				return err
			}
			continue
		}
		s, err := w.bytes()
		if err != nil {
			return err
		}
		tw := wire{b: s}
		for !tw.done() {
			n2, t2, err := tw.field()
			if err != nil {
				return err
			}
			switch {
			case n2 == 1 && t2 == 0:
				e, err := tw.varint()
				if err != nil {
					return err
				}
				v.ElemType = int64(e)
			case n2 == 2 && t2 == 2:
				shape, err := tw.bytes()
				if err != nil {
					return err
				}
				if v.Dims, err = decodeShape(shape); err != nil {
					return err
				}
			default:
				if err := tw.skip(t2); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func decodeShape(b []byte) ([]int64, error) {
	var dims []int64
	w := wire{b: b}
	for !w.done() {
		num, typ, err := w.field()
		if err != nil {
			return nil, err
		}
		if num != 1 || typ != 2 {
			if err := w.skip(typ); err != nil {
				return nil, err
			}
			continue
		}
		s, err := w.bytes()
		if err != nil {
			return nil, err
		}
		d := int64(-1)
		dw := wire{b: s}
		for !dw.done() {
			n2, t2, err := dw.field()
			if err != nil {
				return nil, err
			}
			if n2 == 1 && t2 == 0 {
				x, err := dw.varint()
				if err != nil {
					return nil, err
				}
				d = int64(x)
			} else if err := dw.skip(t2); err != nil {
				return nil, err
			}
		}
		dims = append(dims, d)
	}
	return dims, nil
}
