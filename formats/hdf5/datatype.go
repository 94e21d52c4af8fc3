package hdf5

import (
	"errors"
	"fmt"
)

// Datatype classes.
const (
	classFixed    = 0
	classFloat    = 1
	classString   = 3
	classBitfield = 4
	classEnum     = 8
	classVarLen   = 9
)

// datatype is a decoded datatype message (the subset this reader converts).
type datatype struct {
	class     uint8
	size      uint32
	bigEndian bool
	signed    bool
	strPad    uint8     // 0 null-terminated, 1 null-padded, 2 space-padded
	vlenStr   bool      // variable-length string
	base      *datatype // enum and variable-length base type
	floatOK   bool      // float layout is IEEE for its size
}

// Class returns a short name for the datatype, for errors and DType.
func (t *datatype) String() string {
	order := "le"
	if t.bigEndian {
		order = "be"
	}
	switch t.class {
	case classFixed:
		if t.signed {
			return fmt.Sprintf("int%d%s", t.size*8, order)
		}
		return fmt.Sprintf("uint%d%s", t.size*8, order)
	case classFloat:
		return fmt.Sprintf("float%d%s", t.size*8, order)
	case classString:
		return fmt.Sprintf("string%d", t.size)
	case classVarLen:
		if t.vlenStr {
			return "vlen-string"
		}
		return "vlen-sequence"
	case classEnum:
		return "enum"
	}
	return fmt.Sprintf("class%d", t.class)
}

// parseDatatype decodes a datatype message body.
func parseDatatype(b []byte) (*datatype, error) {
	t, _, err := parseDatatypeDepth(b, 0)
	return t, err
}

func parseDatatypeDepth(b []byte, depth int) (*datatype, int, error) {
	if depth > 8 {
		return nil, 0, errors.New("datatype nesting too deep")
	}
	if len(b) < 8 {
		return nil, 0, fmt.Errorf("datatype: %w", errShort)
	}
	t := &datatype{class: b[0] & 0x0f}
	ver := b[0] >> 4
	if ver < 1 || ver > 4 {
		return nil, 0, fmt.Errorf("datatype version %d", ver)
	}
	bits0, bits1 := b[1], b[2]
	t.size = uint32(leUint(b[4:8]))
	if t.size == 0 {
		return nil, 0, errors.New("datatype of size 0")
	}
	props := b[8:]
	n := 8
	switch t.class {
	case classFixed, classBitfield:
		t.bigEndian = bits0&1 != 0
		t.signed = bits0&0x08 != 0
		if len(props) < 4 {
			return nil, 0, fmt.Errorf("integer datatype: %w", errShort)
		}
		off, prec := leUint(props[0:2]), leUint(props[2:4])
		if off != 0 || prec != uint64(t.size)*8 || !intSize(t.size) {
			return nil, 0, fmt.Errorf("integer datatype with %d bytes, bit offset %d, precision %d is not supported", t.size, off, prec)
		}
		n += 4
	case classFloat:
		t.bigEndian = bits0&1 != 0
		if bits0&0x40 != 0 {
			return nil, 0, errors.New("VAX float byte order is not supported")
		}
		if len(props) < 12 {
			return nil, 0, fmt.Errorf("float datatype: %w", errShort)
		}
		off, prec := leUint(props[0:2]), leUint(props[2:4])
		eLoc, eSize, mLoc, mSize := props[4], props[5], props[6], props[7]
		t.floatOK = off == 0 && prec == uint64(t.size)*8 && mLoc == 0 && bits1 == uint8(8*t.size-1) &&
			((t.size == 2 && eLoc == 10 && eSize == 5 && mSize == 10) ||
				(t.size == 4 && eLoc == 23 && eSize == 8 && mSize == 23) ||
				(t.size == 8 && eLoc == 52 && eSize == 11 && mSize == 52))
		n += 12
	case classString:
		t.strPad = bits0 & 0x0f
	case classVarLen:
		t.vlenStr = bits0&0x0f == 1
		base, m, err := parseDatatypeDepth(props, depth+1)
		if err != nil {
			return nil, 0, fmt.Errorf("variable-length base type: %w", err)
		}
		t.base = base
		n += m
	case classEnum:
		base, m, err := parseDatatypeDepth(props, depth+1)
		if err != nil {
			return nil, 0, fmt.Errorf("enum base type: %w", err)
		}
		t.base = base
		n += m // names and values follow; not needed
	}
	return t, n, nil
}

func intSize(n uint32) bool { return n == 1 || n == 2 || n == 4 || n == 8 }

// dataspace is a decoded dataspace message.
type dataspace struct {
	dims    []uint64
	maxDims []uint64 // equal to dims when the file stores none
	null    bool     // the null dataspace holds no elements
}

// unlimited marks an unlimited maximum dimension.
const unlimited = ^uint64(0)

// maxDim bounds one dimension so sizes convert to int safely.
const maxDim = 1 << 48

// intDims converts dimensions checked against maxDim.
func intDims(d []uint64) []int {
	out := make([]int, len(d))
	for i, v := range d {
		out[i] = int(v)
	}
	return out
}

func (f *File) parseDataspace(b []byte) (*dataspace, error) {
	d := f.decoder(b)
	ver := d.u8()
	rank := int(d.u8())
	flags := d.u8()
	s := &dataspace{}
	switch ver {
	case 1:
		d.skip(5)
	case 2:
		typ := d.u8()
		if typ == 2 {
			s.null = true
		}
	default:
		return nil, fmt.Errorf("dataspace version %d", ver)
	}
	if rank > 32 {
		return nil, fmt.Errorf("dataspace rank %d", rank)
	}
	for i := 0; i < rank; i++ {
		v := d.length()
		if v > maxDim {
			d.fail(fmt.Errorf("dimension %d of size %d", i, v))
		}
		s.dims = append(s.dims, v)
	}
	if flags&1 != 0 {
		for i := 0; i < rank; i++ {
			v := d.length()
			if f.lenSize < 8 && v == (uint64(1)<<(8*f.lenSize))-1 {
				v = unlimited
			}
			s.maxDims = append(s.maxDims, v)
		}
	} else {
		s.maxDims = s.dims
	}
	if d.err != nil {
		return nil, fmt.Errorf("dataspace: %w", d.err)
	}
	for i := range s.dims {
		if s.maxDims[i] != unlimited && s.maxDims[i] < s.dims[i] {
			return nil, fmt.Errorf("dataspace dimension %d: size %d above its maximum %d", i, s.dims[i], s.maxDims[i])
		}
	}
	return s, nil
}

// count returns the number of elements, failing above limit.
func (s *dataspace) count(limit uint64) (uint64, error) {
	if s.null {
		return 0, nil
	}
	n := uint64(1)
	for _, v := range s.dims {
		var ok bool
		if n, ok = mulCheck(n, v, limit); !ok {
			return 0, fmt.Errorf("dataspace %v holds more than %d elements", s.dims, limit)
		}
	}
	return n, nil
}
