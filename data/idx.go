package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// IDXType is the element type code of an IDX file (the third magic byte).
type IDXType byte

// The element types the IDX format defines.
const (
	IDXUint8   IDXType = 0x08
	IDXInt8    IDXType = 0x09
	IDXInt16   IDXType = 0x0B
	IDXInt32   IDXType = 0x0C
	IDXFloat32 IDXType = 0x0D
	IDXFloat64 IDXType = 0x0E
)

// Size returns the number of bytes one element takes, or 0 for an unknown type.
func (t IDXType) Size() int {
	switch t {
	case IDXUint8, IDXInt8:
		return 1
	case IDXInt16:
		return 2
	case IDXInt32, IDXFloat32:
		return 4
	case IDXFloat64:
		return 8
	}
	return 0
}

// String returns the type's name.
func (t IDXType) String() string {
	switch t {
	case IDXUint8:
		return "uint8"
	case IDXInt8:
		return "int8"
	case IDXInt16:
		return "int16"
	case IDXInt32:
		return "int32"
	case IDXFloat32:
		return "float32"
	case IDXFloat64:
		return "float64"
	}
	return fmt.Sprintf("IDXType(0x%02x)", byte(t))
}

// DefaultIDXMaxBytes bounds the payload ReadIDX accepts unless told otherwise.
const DefaultIDXMaxBytes = 1 << 32

// IDX is the content of an IDX file: its element type, its dimensions and
// its payload, still big-endian as stored.
type IDX struct {
	Type IDXType
	Dims []int
	Data []byte
}

// Len returns the number of elements.
func (x *IDX) Len() int { return len(x.Data) / x.Type.Size() }

// Float32s returns every element converted to float32.
func (x *IDX) Float32s() []float32 {
	n := x.Len()
	out := make([]float32, n)
	d := x.Data
	for i := range out {
		switch x.Type {
		case IDXUint8:
			out[i] = float32(d[i])
		case IDXInt8:
			out[i] = float32(int8(d[i]))
		case IDXInt16:
			out[i] = float32(int16(binary.BigEndian.Uint16(d[2*i:])))
		case IDXInt32:
			out[i] = float32(int32(binary.BigEndian.Uint32(d[4*i:])))
		case IDXFloat32:
			out[i] = math.Float32frombits(binary.BigEndian.Uint32(d[4*i:]))
		case IDXFloat64:
			out[i] = float32(math.Float64frombits(binary.BigEndian.Uint64(d[8*i:])))
		}
	}
	return out
}

// ReadIDXFile reads an IDX file, plain or gzip-compressed (detected from
// its first bytes, not its name), accepting at most DefaultIDXMaxBytes of
// payload. Errors name the file.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: idx: %w", err)
	}
	defer f.Close()
	limit := int64(DefaultIDXMaxBytes)
	br := bufio.NewReader(f)
	head, _ := br.Peek(2)
	if !(len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b) {
		// A plain file cannot hold more payload than its length.
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			limit = min(limit, st.Size())
		}
	}
	x, err := ReadIDX(br, limit)
	if err != nil {
		return nil, fmt.Errorf("data: idx file %s: %w", path, err)
	}
	return x, nil
}

// ReadIDX reads an IDX stream, plain or gzip-compressed, whose payload may
// be at most maxBytes long. Memory grows with the bytes actually read, never
// with what a header merely claims, and trailing bytes are an error.
func ReadIDX(r io.Reader, maxBytes int64) (*IDX, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		return readIDXPlain(bufio.NewReader(zr), maxBytes)
	}
	return readIDXPlain(br, maxBytes)
}

func readIDXPlain(r io.Reader, maxBytes int64) (*IDX, error) {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("reading magic: %w", noEOF(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("bad magic % x: not an IDX file", magic)
	}
	t := IDXType(magic[2])
	if t.Size() == 0 {
		return nil, fmt.Errorf("unknown element type 0x%02x", magic[2])
	}
	nd := int(magic[3])
	if nd == 0 {
		return nil, errors.New("zero dimensions")
	}
	raw := make([]byte, 4*nd)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf("reading %d dimensions: %w", nd, noEOF(err))
	}
	dims := make([]int, nd)
	size := int64(t.Size())
	for i := range dims {
		d := int64(binary.BigEndian.Uint32(raw[4*i:]))
		dims[i] = int(d)
		if d != 0 && size > maxBytes/d {
			return nil, fmt.Errorf("dimensions %v of %s exceed the %d-byte limit", dimsSoFar(raw, nd), t, maxBytes)
		}
		size *= d
	}
	if size > maxBytes {
		return nil, fmt.Errorf("payload of %d bytes exceeds the %d-byte limit", size, maxBytes)
	}
	var buf bytes.Buffer
	buf.Grow(int(min(size, 1<<20)))
	n, err := io.Copy(&buf, io.LimitReader(r, size))
	if err != nil {
		return nil, fmt.Errorf("reading payload: %w", err)
	}
	if n < size {
		return nil, fmt.Errorf("truncated: dimensions %v of %s need %d bytes, found %d", dims, t, size, n)
	}
	var extra [1]byte
	if m, _ := io.ReadFull(r, extra[:]); m != 0 {
		return nil, fmt.Errorf("trailing data after %d-byte payload for dimensions %v", size, dims)
	}
	return &IDX{Type: t, Dims: dims, Data: buf.Bytes()}, nil
}

func dimsSoFar(raw []byte, nd int) []uint32 {
	out := make([]uint32, nd)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(raw[4*i:])
	}
	return out
}

// noEOF turns a bare EOF into ErrUnexpectedEOF: a header cut short is a
// truncated file, not an empty one.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
