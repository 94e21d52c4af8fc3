package hdf5

import (
	"fmt"
)

// btree2 is a v2 B-tree header and the per-level sizes needed to walk it.
type btree2 struct {
	f        *File
	typ      uint8
	nodeSize uint32
	recSize  int
	depth    int
	root     uint64
	rootN    int
	maxNrec  []uint64 // per level: records that fit in one node
	nrecSize []int    // per level: bytes of a "records in child" field
	cumSize  []int    // per level: bytes of a "total records in subtree" field
}

func (f *File) openBTree2(addr uint64, wantType uint8) (*btree2, error) {
	n := 4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + f.offSize + 2 + f.lenSize + 4
	b, err := f.readAt(addr, uint64(n))
	if err != nil {
		return nil, fmt.Errorf("v2 B-tree header: %w", err)
	}
	if err := verifyChecksum(b, "v2 B-tree header"); err != nil {
		return nil, err
	}
	d := f.decoder(b)
	d.sig("BTHD")
	if v := d.u8(); v != 0 {
		return nil, fmt.Errorf("v2 B-tree version %d", v)
	}
	t := &btree2{f: f}
	t.typ = d.u8()
	t.nodeSize = d.u32()
	t.recSize = int(d.u16())
	t.depth = int(d.u16())
	d.skip(2)
	t.root = d.addr()
	t.rootN = int(d.u16())
	d.length()
	if d.err != nil {
		return nil, fmt.Errorf("v2 B-tree header: %w", d.err)
	}
	if t.typ != wantType {
		return nil, fmt.Errorf("v2 B-tree type %d, want %d", t.typ, wantType)
	}
	if t.recSize == 0 || t.nodeSize < 16 || t.nodeSize > maxMetadataBlock || t.depth > 32 {
		return nil, fmt.Errorf("v2 B-tree with node size %d, record size %d, depth %d", t.nodeSize, t.recSize, t.depth)
	}
	// Sizes as the HDF5 library derives them (H5B2hdr.c).
	prefix := uint64(10)
	leafMax := (uint64(t.nodeSize) - prefix) / uint64(t.recSize)
	if leafMax == 0 {
		return nil, fmt.Errorf("v2 B-tree node size %d too small", t.nodeSize)
	}
	t.maxNrec = []uint64{leafMax}
	cum := []uint64{leafMax}
	t.cumSize = []int{0}
	maxNrecSize := log2floor(leafMax)/8 + 1
	t.nrecSize = []int{maxNrecSize}
	for u := 1; u <= t.depth; u++ {
		ptr := uint64(f.offSize + maxNrecSize)
		if u > 1 {
			ptr += uint64(t.cumSize[u-1])
		}
		if uint64(t.nodeSize) < prefix+ptr {
			return nil, fmt.Errorf("v2 B-tree node size %d too small", t.nodeSize)
		}
		m := (uint64(t.nodeSize) - (prefix + ptr)) / (uint64(t.recSize) + ptr)
		if m == 0 {
			return nil, fmt.Errorf("v2 B-tree node size %d too small", t.nodeSize)
		}
		c, ok := mulCheck(m+1, cum[u-1], 1<<62)
		if !ok {
			return nil, fmt.Errorf("v2 B-tree too deep")
		}
		c += m
		t.maxNrec = append(t.maxNrec, m)
		cum = append(cum, c)
		t.cumSize = append(t.cumSize, log2floor(c)/8+1)
		t.nrecSize = append(t.nrecSize, maxNrecSize)
	}
	return t, nil
}

// walk calls fn with every record in key order.
func (t *btree2) walk(fn func(rec []byte) error) error {
	if t.root == undefAddr || t.rootN == 0 {
		return nil
	}
	return t.walkNode(t.root, t.rootN, t.depth, map[uint64]bool{}, fn)
}

func (t *btree2) walkNode(addr uint64, nrec, depth int, seen map[uint64]bool, fn func([]byte) error) error {
	f := t.f
	if seen[addr] {
		return fmt.Errorf("v2 B-tree node %d visited twice (cycle)", addr)
	}
	seen[addr] = true
	if uint64(nrec) > t.maxNrec[depth] {
		return fmt.Errorf("v2 B-tree node at %d claims %d records, at most %d fit", addr, nrec, t.maxNrec[depth])
	}
	b, err := f.readAt(addr, uint64(t.nodeSize))
	if err != nil {
		return fmt.Errorf("v2 B-tree node: %w", err)
	}
	d := f.decoder(b)
	if depth == 0 {
		d.sig("BTLF")
	} else {
		d.sig("BTIN")
	}
	d.skip(1)
	if typ := d.u8(); d.err == nil && typ != t.typ {
		return fmt.Errorf("v2 B-tree node at %d has type %d, want %d", addr, typ, t.typ)
	}
	recs := d.take(nrec * t.recSize)
	type child struct {
		addr uint64
		n    int
	}
	var kids []child
	if depth > 0 {
		for i := 0; i <= nrec; i++ {
			c := child{addr: d.addr(), n: int(d.uN(t.nrecSize[depth]))}
			if depth > 1 {
				d.uN(t.cumSize[depth-1])
			}
			kids = append(kids, c)
		}
	}
	end := d.off
	d.skip(4)
	if d.err != nil {
		return fmt.Errorf("v2 B-tree node at %d: %w", addr, d.err)
	}
	if err := verifyChecksum(b[:end+4], "v2 B-tree node"); err != nil {
		return err
	}
	for i := 0; i <= nrec; i++ {
		if depth > 0 {
			if err := t.walkNode(kids[i].addr, kids[i].n, depth-1, seen, fn); err != nil {
				return err
			}
		}
		if i < nrec {
			if err := fn(recs[i*t.recSize : (i+1)*t.recSize]); err != nil {
				return err
			}
		}
	}
	return nil
}
