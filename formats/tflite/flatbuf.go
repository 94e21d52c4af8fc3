package tflite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// errOutOfBounds is the cause wrapped by every failed bounds check.
var errOutOfBounds = errors.New("offset out of bounds")

// fbuf is a flatbuffer held in memory. Every accessor validates the offsets
// it follows against the data's length and returns an error instead of
// panicking. A work budget, shared by all accessors of one parse, bounds the
// tables and vector elements read, so that a small file whose offsets all
// point at the same large structure cannot make parsing quadratic.
type fbuf struct {
	data  []byte
	work  *int
	limit int
}

// newFbuf wraps data with a work budget linear in its size.
func newFbuf(data []byte) fbuf {
	return fbuf{data: data, work: new(int), limit: 4*len(data) + 4096}
}

// charge spends n units of the work budget.
func (b fbuf) charge(n int) error {
	*b.work += n
	if *b.work > b.limit {
		return fmt.Errorf("the file's offsets revisit its tables and vectors more than %d times", b.limit)
	}
	return nil
}

// check reports whether [pos, pos+n) lies inside the buffer.
func (b fbuf) check(pos, n int) error {
	if pos < 0 || n < 0 || pos > len(b.data) || n > len(b.data)-pos {
		return fmt.Errorf("%w: %d bytes at %d in a %d-byte file", errOutOfBounds, n, pos, len(b.data))
	}
	return nil
}

func (b fbuf) u8(pos int) (uint8, error) {
	if err := b.check(pos, 1); err != nil {
		return 0, err
	}
	return b.data[pos], nil
}

func (b fbuf) u16(pos int) (uint16, error) {
	if err := b.check(pos, 2); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b.data[pos:]), nil
}

func (b fbuf) u32(pos int) (uint32, error) {
	if err := b.check(pos, 4); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b.data[pos:]), nil
}

func (b fbuf) u64(pos int) (uint64, error) {
	if err := b.check(pos, 8); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b.data[pos:]), nil
}

// deref follows the uoffset stored at pos and returns the position it points to.
func (b fbuf) deref(pos int) (int, error) {
	off, err := b.u32(pos)
	if err != nil {
		return 0, err
	}
	target := pos + int(off)
	if err := b.check(target, 1); err != nil {
		return 0, fmt.Errorf("uoffset at %d: %w", pos, err)
	}
	return target, nil
}

// table is a flatbuffer table: its position and the vtable describing it.
type table struct {
	buf     fbuf
	pos     int // start of the table (its soffset to the vtable)
	vtable  int // start of the vtable
	vtSize  int // size of the vtable in bytes
	objSize int // inline size of the table in bytes
}

// tableAt reads the table that starts at pos.
func (b fbuf) tableAt(pos int) (table, error) {
	if err := b.check(pos, 4); err != nil {
		return table{}, fmt.Errorf("table: %w", err)
	}
	if err := b.charge(1); err != nil {
		return table{}, err
	}
	soff := int32(binary.LittleEndian.Uint32(b.data[pos:]))
	vt := pos - int(soff)
	vtSize, err := b.u16(vt)
	if err != nil {
		return table{}, fmt.Errorf("table at %d: vtable: %w", pos, err)
	}
	objSize, err := b.u16(vt + 2)
	if err != nil {
		return table{}, fmt.Errorf("table at %d: vtable: %w", pos, err)
	}
	if vtSize < 4 || vtSize%2 != 0 {
		return table{}, fmt.Errorf("table at %d: vtable size %d is invalid", pos, vtSize)
	}
	if err := b.check(vt, int(vtSize)); err != nil {
		return table{}, fmt.Errorf("table at %d: vtable: %w", pos, err)
	}
	if objSize < 4 {
		return table{}, fmt.Errorf("table at %d: inline size %d is invalid", pos, objSize)
	}
	if err := b.check(pos, int(objSize)); err != nil {
		return table{}, fmt.Errorf("table at %d: %w", pos, err)
	}
	return table{buf: b, pos: pos, vtable: vt, vtSize: int(vtSize), objSize: int(objSize)}, nil
}

// root returns the root table of the buffer.
func (b fbuf) root() (table, error) {
	pos, err := b.deref(0)
	if err != nil {
		return table{}, fmt.Errorf("root: %w", err)
	}
	return b.tableAt(pos)
}

// field returns the absolute position of field i and whether it is present.
// A present field of width size must lie inside the table's inline area.
func (t table) field(i, size int) (int, bool, error) {
	slot := 4 + 2*i
	if slot+2 > t.vtSize {
		return 0, false, nil
	}
	off := int(binary.LittleEndian.Uint16(t.buf.data[t.vtable+slot:]))
	if off == 0 {
		return 0, false, nil
	}
	if off+size > t.objSize {
		return 0, false, fmt.Errorf("field %d (%d bytes at %d) overruns its %d-byte table", i, size, off, t.objSize)
	}
	return t.pos + off, true, nil
}

// u8 reads an unsigned byte field, or def when absent.
func (t table) u8(i int, def uint8) (uint8, error) {
	p, ok, err := t.field(i, 1)
	if err != nil || !ok {
		return def, err
	}
	return t.buf.u8(p)
}

// i8 reads a signed byte field, or def when absent.
func (t table) i8(i int, def int8) (int8, error) {
	v, err := t.u8(i, uint8(def))
	return int8(v), err
}

// i32 reads an int32 field, or def when absent.
func (t table) i32(i int, def int32) (int32, error) {
	p, ok, err := t.field(i, 4)
	if err != nil || !ok {
		return def, err
	}
	v, err := t.buf.u32(p)
	return int32(v), err
}

// u32 reads a uint32 field, or def when absent.
func (t table) u32(i int, def uint32) (uint32, error) {
	p, ok, err := t.field(i, 4)
	if err != nil || !ok {
		return def, err
	}
	return t.buf.u32(p)
}

// u64 reads a uint64 field, or def when absent.
func (t table) u64(i int, def uint64) (uint64, error) {
	p, ok, err := t.field(i, 8)
	if err != nil || !ok {
		return def, err
	}
	return t.buf.u64(p)
}

// f32 reads a float32 field, or def when absent.
func (t table) f32(i int, def float32) (float32, error) {
	p, ok, err := t.field(i, 4)
	if err != nil || !ok {
		return def, err
	}
	v, err := t.buf.u32(p)
	return math.Float32frombits(v), err
}

// ref follows the offset field i; ok is false when the field is absent.
func (t table) ref(i int) (int, bool, error) {
	p, ok, err := t.field(i, 4)
	if err != nil || !ok {
		return 0, false, err
	}
	target, err := t.buf.deref(p)
	if err != nil {
		return 0, false, fmt.Errorf("field %d: %w", i, err)
	}
	return target, true, nil
}

// subtable reads the table referenced by field i; ok is false when absent.
func (t table) subtable(i int) (table, bool, error) {
	p, ok, err := t.ref(i)
	if err != nil || !ok {
		return table{}, false, err
	}
	sub, err := t.buf.tableAt(p)
	if err != nil {
		return table{}, false, fmt.Errorf("field %d: %w", i, err)
	}
	return sub, true, nil
}

// str reads the string field i ("" when absent).
func (t table) str(i int) (string, error) {
	p, ok, err := t.ref(i)
	if err != nil || !ok {
		return "", err
	}
	n, err := t.buf.u32(p)
	if err != nil {
		return "", fmt.Errorf("field %d: string length: %w", i, err)
	}
	// The string and its terminating zero byte must both be inside.
	if err := t.buf.check(p+4, int(n)+1); err != nil {
		return "", fmt.Errorf("field %d: string of %d bytes: %w", i, n, err)
	}
	if t.buf.data[p+4+int(n)] != 0 {
		return "", fmt.Errorf("field %d: string of %d bytes lacks its terminating zero", i, n)
	}
	return string(t.buf.data[p+4 : p+4+int(n)]), nil
}

// vector is a flatbuffer vector: its element count and the position of its
// first element. Elements are elem bytes wide.
type vector struct {
	buf  fbuf
	pos  int
	n    int
	elem int
}

// vec reads the vector field i with elements elem bytes wide; an absent
// field is an empty vector.
func (t table) vec(i, elem int) (vector, error) {
	p, ok, err := t.ref(i)
	if err != nil || !ok {
		return vector{buf: t.buf, elem: elem}, err
	}
	n, err := t.buf.u32(p)
	if err != nil {
		return vector{}, fmt.Errorf("field %d: vector length: %w", i, err)
	}
	if uint64(n)*uint64(elem) > uint64(len(t.buf.data)) {
		return vector{}, fmt.Errorf("field %d: vector of %d %d-byte elements: %w", i, n, elem, errOutOfBounds)
	}
	if err := t.buf.check(p+4, int(n)*elem); err != nil {
		return vector{}, fmt.Errorf("field %d: vector of %d elements: %w", i, n, err)
	}
	cost := int(n)
	if elem == 1 {
		cost = 1 // byte vectors are sliced, not decoded
	}
	if err := t.buf.charge(cost); err != nil {
		return vector{}, fmt.Errorf("field %d: %w", i, err)
	}
	return vector{buf: t.buf, pos: p + 4, n: int(n), elem: elem}, nil
}

// bytes returns the raw bytes of the vector's elements (no copy).
func (v vector) bytes() []byte { return v.buf.data[v.pos : v.pos+v.n*v.elem] }

// table returns element k of a vector of tables.
func (v vector) table(k int) (table, error) {
	if k < 0 || k >= v.n {
		return table{}, fmt.Errorf("element %d of %d: %w", k, v.n, errOutOfBounds)
	}
	p, err := v.buf.deref(v.pos + 4*k)
	if err != nil {
		return table{}, fmt.Errorf("element %d: %w", k, err)
	}
	t, err := v.buf.tableAt(p)
	if err != nil {
		return table{}, fmt.Errorf("element %d: %w", k, err)
	}
	return t, nil
}

// int32s decodes a vector of int32.
func (v vector) int32s() []int32 {
	out := make([]int32, v.n)
	for k := range out {
		out[k] = int32(binary.LittleEndian.Uint32(v.buf.data[v.pos+4*k:]))
	}
	return out
}

// int64s decodes a vector of int64.
func (v vector) int64s() []int64 {
	out := make([]int64, v.n)
	for k := range out {
		out[k] = int64(binary.LittleEndian.Uint64(v.buf.data[v.pos+8*k:]))
	}
	return out
}

// float32s decodes a vector of float32.
func (v vector) float32s() []float32 {
	out := make([]float32, v.n)
	for k := range out {
		out[k] = math.Float32frombits(binary.LittleEndian.Uint32(v.buf.data[v.pos+4*k:]))
	}
	return out
}
