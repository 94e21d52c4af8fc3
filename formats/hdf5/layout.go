package hdf5

import (
	"fmt"
)

// Layout classes.
const (
	layoutCompact    = 0
	layoutContiguous = 1
	layoutChunked    = 2
)

// Chunk index types of layout message version 4 (0 stands for the v1
// B-tree that versions 1 to 3 always use).
const (
	indexBTree1   = 0
	indexSingle   = 1
	indexImplicit = 2
	indexFixed    = 3
	indexExtArray = 4
	indexBTree2   = 5
)

// layout is a decoded data layout message.
type layout struct {
	class   int
	compact []byte
	addr    uint64 // contiguous data, or the chunk index
	size    uint64 // contiguous size
	chunk   []uint64
	elem    uint64 // element size recorded with the chunk dimensions
	index   int
	flags   uint8
	// single-chunk index with filters
	singleSize uint64
	singleMask uint32
}

func (f *File) parseLayout(b []byte) (*layout, error) {
	d := f.decoder(b)
	ver := d.u8()
	l := &layout{}
	switch ver {
	case 1, 2:
		rank := int(d.u8())
		l.class = int(d.u8())
		d.skip(5)
		if l.class != layoutCompact {
			l.addr = d.addr()
		}
		if rank < 1 || rank > 33 {
			return nil, fmt.Errorf("layout with %d dimensions", rank)
		}
		dims := make([]uint64, rank)
		for i := range dims {
			dims[i] = uint64(d.u32())
		}
		switch l.class {
		case layoutCompact:
			n := d.u32()
			l.compact = d.take(int(n))
		case layoutContiguous:
			l.size = 0 // computed from the dataspace
		case layoutChunked:
			l.chunk, l.elem = dims[:rank-1], dims[rank-1]
		}
	case 3, 4:
		l.class = int(d.u8())
		switch l.class {
		case layoutCompact:
			n := d.u16()
			l.compact = d.take(int(n))
		case layoutContiguous:
			l.addr = d.addr()
			l.size = d.length()
		case layoutChunked:
			if ver == 3 {
				rank := int(d.u8())
				l.addr = d.addr()
				if rank < 2 || rank > 33 {
					return nil, fmt.Errorf("chunked layout with %d dimensions", rank)
				}
				dims := make([]uint64, rank)
				for i := range dims {
					dims[i] = uint64(d.u32())
				}
				l.chunk, l.elem = dims[:rank-1], dims[rank-1]
				break
			}
			l.flags = d.u8()
			rank := int(d.u8())
			enc := int(d.u8())
			if rank < 2 || rank > 33 || enc < 1 || enc > 8 {
				return nil, fmt.Errorf("chunked layout with %d dimensions of %d bytes", rank, enc)
			}
			dims := make([]uint64, rank)
			for i := range dims {
				dims[i] = d.uN(enc)
			}
			l.chunk, l.elem = dims[:rank-1], dims[rank-1]
			l.index = int(d.u8())
			switch l.index {
			case indexSingle:
				if l.flags&0x02 != 0 {
					l.singleSize = d.length()
					l.singleMask = d.u32()
				}
			case indexImplicit:
			case indexFixed:
				d.skip(1)
			case indexExtArray:
				d.skip(5)
			case indexBTree2:
				d.skip(6)
			default:
				return nil, fmt.Errorf("chunk index type %d is not supported", l.index)
			}
			l.addr = d.addr()
		default:
			return nil, fmt.Errorf("layout class %d is not supported", l.class)
		}
	default:
		return nil, fmt.Errorf("layout message version %d", ver)
	}
	if d.err != nil {
		return nil, fmt.Errorf("layout message: %w", d.err)
	}
	for i, c := range l.chunk {
		if c == 0 || c > maxDim {
			return nil, fmt.Errorf("chunk dimension %d of size %d", i, c)
		}
	}
	return l, nil
}

// parseFill returns the fill value bytes, or nil for the default (zeros).
func (f *File) parseFill(h *objectHeader) ([]byte, error) {
	if m := h.find(msgFill); m != nil {
		d := f.decoder(m.data)
		ver := d.u8()
		switch ver {
		case 1, 2:
			d.skip(2)
			defined := d.u8()
			if ver == 2 && defined == 0 {
				return nil, nil
			}
			n := d.u32()
			if d.err == nil && n > 0 {
				return d.take(int(n)), d.err
			}
			return nil, d.err
		case 3:
			flags := d.u8()
			if flags&0x20 == 0 {
				return nil, d.err
			}
			n := d.u32()
			v := d.take(int(n))
			return v, d.err
		default:
			return nil, fmt.Errorf("fill value message version %d", ver)
		}
	}
	if m := h.find(msgFillOld); m != nil {
		d := f.decoder(m.data)
		n := d.u32()
		v := d.take(int(n))
		return v, d.err
	}
	return nil, nil
}
