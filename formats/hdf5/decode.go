package hdf5

import (
	"errors"
	"fmt"
)

// undefAddr is HDF5's "undefined address" (all bits set), widened to 64 bits.
const undefAddr = ^uint64(0)

// errShort reports a structure that runs past the bytes that hold it.
var errShort = errors.New("structure truncated")

// decoder reads little-endian fields from a byte slice with bounds checks.
// The first failure sticks: later reads return zeros and err keeps the cause.
type decoder struct {
	b       []byte
	off     int
	err     error
	offSize int // bytes in a file address
	lenSize int // bytes in a file length
}

func (f *File) decoder(b []byte) *decoder {
	return &decoder{b: b, offSize: f.offSize, lenSize: f.lenSize}
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// take returns the next n bytes, or nil after recording errShort.
func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.fail(fmt.Errorf("%w: need %d bytes at offset %d of %d", errShort, n, d.off, len(d.b)))
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *decoder) remaining() int { return len(d.b) - d.off }

func (d *decoder) skip(n int) { d.take(n) }

func (d *decoder) u8() uint8 {
	p := d.take(1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (d *decoder) u16() uint16 { return uint16(d.uN(2)) }

func (d *decoder) u32() uint32 { return uint32(d.uN(4)) }

func (d *decoder) u64() uint64 { return d.uN(8) }

// uN reads an n-byte little-endian unsigned integer (n <= 8).
func (d *decoder) uN(n int) uint64 {
	if n > 8 {
		d.fail(fmt.Errorf("integer field of %d bytes", n))
		return 0
	}
	p := d.take(n)
	if p == nil {
		return 0
	}
	return leUint(p)
}

// addr reads a file address; all bits set maps to undefAddr.
func (d *decoder) addr() uint64 {
	v := d.uN(d.offSize)
	if d.err == nil && d.offSize < 8 && v == (uint64(1)<<(8*d.offSize))-1 {
		return undefAddr
	}
	return v
}

// length reads a file length field.
func (d *decoder) length() uint64 { return d.uN(d.lenSize) }

// sig checks a 4-byte signature.
func (d *decoder) sig(want string) {
	p := d.take(len(want))
	if p != nil && string(p) != want {
		d.fail(fmt.Errorf("bad signature %q, want %q", p, want))
	}
}

func leUint(p []byte) uint64 {
	var v uint64
	for i := len(p) - 1; i >= 0; i-- {
		v = v<<8 | uint64(p[i])
	}
	return v
}

func beUint(p []byte) uint64 {
	var v uint64
	for _, b := range p {
		v = v<<8 | uint64(b)
	}
	return v
}

// mulCheck multiplies non-negative sizes, failing on overflow past limit.
func mulCheck(a, b, limit uint64) (uint64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if a > limit/b {
		return 0, false
	}
	return a * b, true
}

// log2floor returns floor(log2(v)) for v > 0, and 0 for v == 0.
func log2floor(v uint64) int {
	n := -1
	for v > 0 {
		v >>= 1
		n++
	}
	if n < 0 {
		return 0
	}
	return n
}
