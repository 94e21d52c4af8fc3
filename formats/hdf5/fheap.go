package hdf5

import (
	"errors"
	"fmt"
)

// fractalHeap is a fractal heap header: enough to find managed, tiny and
// huge objects by heap ID.
type fractalHeap struct {
	f             *File
	addr          uint64
	idLen         int
	filterLen     int
	flags         uint8
	maxManaged    uint64
	hugeBTree     uint64
	width         uint64
	startBlock    uint64
	maxDirect     uint64
	maxHeapBits   int
	rootAddr      uint64
	curRows       int
	heapOffSize   int
	heapLenSize   int
	maxDirectRows int
}

func (f *File) openFractalHeap(addr uint64) (*fractalHeap, error) {
	n := 4 + 1 + 2 + 2 + 1 + 4 + 12*f.lenSize + 3*f.offSize + 2 + 2 + 2 + 2 + 4
	b, err := f.readAt(addr, uint64(n))
	if err != nil {
		return nil, fmt.Errorf("fractal heap header: %w", err)
	}
	d := f.decoder(b)
	d.sig("FRHP")
	if v := d.u8(); v != 0 {
		return nil, fmt.Errorf("fractal heap version %d", v)
	}
	h := &fractalHeap{f: f, addr: addr}
	h.idLen = int(d.u16())
	h.filterLen = int(d.u16())
	h.flags = d.u8()
	h.maxManaged = uint64(d.u32())
	d.length() // next huge ID
	h.hugeBTree = d.addr()
	d.length() // free space
	d.addr()   // free-space manager
	d.length() // managed space
	d.length() // allocated managed space
	d.length() // direct block allocation iterator
	d.length() // managed objects
	d.length() // huge object size
	d.length() // huge objects
	d.length() // tiny object size
	d.length() // tiny objects
	h.width = uint64(d.u16())
	h.startBlock = d.length()
	h.maxDirect = d.length()
	h.maxHeapBits = int(d.u16())
	d.u16() // starting rows
	h.rootAddr = d.addr()
	h.curRows = int(d.u16())
	if d.err != nil {
		return nil, fmt.Errorf("fractal heap header: %w", d.err)
	}
	if h.filterLen > 0 {
		return nil, errors.New("fractal heaps with I/O filters are not supported")
	}
	if err := verifyChecksum(b[:d.off+4], "fractal heap header"); err != nil {
		return nil, err
	}
	if h.width == 0 || h.width > 1<<16 || !pow2(h.startBlock) || !pow2(h.maxDirect) ||
		h.maxDirect < h.startBlock || h.maxHeapBits < 1 || h.maxHeapBits > 64 || h.idLen < 1 || h.idLen > 1<<10 {
		return nil, fmt.Errorf("fractal heap with width %d, blocks %d..%d, %d offset bits, ID length %d",
			h.width, h.startBlock, h.maxDirect, h.maxHeapBits, h.idLen)
	}
	h.heapOffSize = (h.maxHeapBits + 7) / 8
	h.heapLenSize = min((log2floor(h.maxDirect)+7)/8, log2floor(h.maxManaged)/8+1)
	h.maxDirectRows = log2floor(h.maxDirect) - log2floor(h.startBlock) + 2
	return h, nil
}

func pow2(v uint64) bool { return v != 0 && v&(v-1) == 0 }

// object returns the bytes of the heap object with the given ID.
func (h *fractalHeap) object(id []byte) ([]byte, error) {
	if len(id) == 0 {
		return nil, errors.New("empty heap ID")
	}
	if id[0]>>6 != 0 {
		return nil, fmt.Errorf("heap ID version %d", id[0]>>6)
	}
	switch (id[0] >> 4) & 3 {
	case 0:
		d := h.f.decoder(id[1:])
		off := d.uN(h.heapOffSize)
		n := d.uN(h.heapLenSize)
		if d.err != nil {
			return nil, fmt.Errorf("managed heap ID: %w", d.err)
		}
		return h.managed(off, n)
	case 1:
		return h.huge(id)
	case 2:
		if h.idLen <= 18 {
			n := int(id[0]&0x0f) + 1
			if 1+n > len(id) {
				return nil, errors.New("tiny heap object runs past its ID")
			}
			return id[1 : 1+n], nil
		}
		if len(id) < 2 {
			return nil, errShort
		}
		n := (int(id[0]&0x0f)<<8 | int(id[1])) + 1
		if 2+n > len(id) {
			return nil, errors.New("tiny heap object runs past its ID")
		}
		return id[2 : 2+n], nil
	}
	return nil, fmt.Errorf("heap ID type %d", (id[0]>>4)&3)
}

// huge finds a huge object, stored directly in the ID or through the
// heap's v2 B-tree of huge objects.
func (h *fractalHeap) huge(id []byte) ([]byte, error) {
	f := h.f
	if h.idLen >= 1+f.offSize+f.lenSize {
		d := f.decoder(id[1:])
		addr, n := d.addr(), d.length()
		if d.err != nil {
			return nil, fmt.Errorf("huge heap ID: %w", d.err)
		}
		return f.readAt(addr, n)
	}
	if h.hugeBTree == undefAddr {
		return nil, errors.New("huge heap object without a huge-object B-tree")
	}
	idSize := min(h.idLen-1, 8)
	d := f.decoder(id[1:])
	want := d.uN(idSize)
	if d.err != nil {
		return nil, fmt.Errorf("huge heap ID: %w", d.err)
	}
	t, err := f.openBTree2(h.hugeBTree, 1)
	if err != nil {
		return nil, fmt.Errorf("huge objects: %w", err)
	}
	var found []byte
	stop := errors.New("found")
	err = t.walk(func(rec []byte) error {
		d := f.decoder(rec)
		addr, n, got := d.addr(), d.length(), d.length()
		if d.err != nil {
			return d.err
		}
		if got != want {
			return nil
		}
		b, err := f.readAt(addr, n)
		if err != nil {
			return err
		}
		found = b
		return stop
	})
	if err != stop {
		if err == nil {
			err = fmt.Errorf("huge heap object %d not found", want)
		}
		return nil, err
	}
	return found, nil
}

// rowBlockSize is the size of each block in row r of a doubling table.
func (h *fractalHeap) rowBlockSize(r int) uint64 {
	if r == 0 {
		return h.startBlock
	}
	return h.startBlock << uint(r-1)
}

// managed reads n bytes at heap offset off.
func (h *fractalHeap) managed(off, n uint64) ([]byte, error) {
	if n > h.maxDirect {
		return nil, fmt.Errorf("managed heap object of %d bytes exceeds the direct block size", n)
	}
	if h.rootAddr == undefAddr {
		return nil, errors.New("fractal heap has no root block")
	}
	if h.curRows == 0 {
		return h.fromDirect(h.rootAddr, h.startBlock, off, n)
	}
	return h.fromIndirect(h.rootAddr, h.curRows, off, n, 0)
}

func (h *fractalHeap) fromDirect(addr, blockSize, pos, n uint64) ([]byte, error) {
	if pos > blockSize || n > blockSize-pos {
		return nil, fmt.Errorf("heap object at %d+%d outside its %d-byte direct block", pos, n, blockSize)
	}
	sig, err := h.f.readAt(addr, 4)
	if err != nil {
		return nil, fmt.Errorf("fractal heap direct block: %w", err)
	}
	if string(sig) != "FHDB" {
		return nil, errors.New("fractal heap direct block: bad signature")
	}
	return h.f.readAt(addr+pos, n)
}

func (h *fractalHeap) fromIndirect(addr uint64, nrows int, off, n uint64, depth int) ([]byte, error) {
	f := h.f
	if depth > 64 || nrows <= 0 || nrows > 64 {
		return nil, fmt.Errorf("fractal heap indirect block with %d rows at depth %d", nrows, depth)
	}
	direct := min(nrows, h.maxDirectRows)
	nDirect := uint64(direct) * h.width
	nIndirect := uint64(0)
	if nrows > h.maxDirectRows {
		nIndirect = uint64(nrows-h.maxDirectRows) * h.width
	}
	head := uint64(4 + 1 + f.offSize + h.heapOffSize)
	size := head + (nDirect+nIndirect)*uint64(f.offSize) + 4
	b, err := f.readAt(addr, size)
	if err != nil {
		return nil, fmt.Errorf("fractal heap indirect block: %w", err)
	}
	if string(b[:4]) != "FHIB" {
		return nil, errors.New("fractal heap indirect block: bad signature")
	}
	if err := verifyChecksum(b, "fractal heap indirect block"); err != nil {
		return nil, err
	}
	// Locate the row and column holding off.
	rowWidth := h.startBlock * h.width
	row := 0
	if off >= rowWidth {
		row = log2floor(off/rowWidth) + 1
	}
	if row >= nrows {
		return nil, fmt.Errorf("heap offset %d outside the indirect block", off)
	}
	rowStart := uint64(0)
	if row > 0 {
		rowStart = rowWidth << uint(row-1)
	}
	bs := h.rowBlockSize(row)
	col := (off - rowStart) / bs
	if col >= h.width {
		return nil, fmt.Errorf("heap offset %d outside the indirect block", off)
	}
	within := off - rowStart - col*bs
	d := f.decoder(b[head:])
	var entry uint64
	if row < h.maxDirectRows {
		d.skip(int(uint64(row)*h.width+col) * f.offSize)
		entry = d.addr()
	} else {
		d.skip(int(nDirect+uint64(row-h.maxDirectRows)*h.width+col) * f.offSize)
		entry = d.addr()
	}
	if d.err != nil {
		return nil, d.err
	}
	if entry == undefAddr {
		return nil, fmt.Errorf("heap offset %d lies in an unallocated block", off)
	}
	if row < h.maxDirectRows {
		return h.fromDirect(entry, bs, within, n)
	}
	childRows := log2floor(bs) - log2floor(h.startBlock*h.width) + 1
	return h.fromIndirect(entry, childRows, within, n, depth+1)
}
