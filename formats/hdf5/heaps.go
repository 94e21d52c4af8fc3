package hdf5

import (
	"bytes"
	"errors"
	"fmt"
)

// localHeap is the data segment of an old-style group's local heap.
type localHeap struct{ data []byte }

func (f *File) readLocalHeap(addr uint64) (*localHeap, error) {
	head, err := f.readAt(addr, uint64(8+2*f.lenSize+f.offSize))
	if err != nil {
		return nil, fmt.Errorf("local heap: %w", err)
	}
	d := f.decoder(head)
	d.sig("HEAP")
	d.skip(4)
	size := d.length()
	d.length() // free list
	dataAddr := d.addr()
	if d.err != nil {
		return nil, fmt.Errorf("local heap: %w", d.err)
	}
	data, err := f.readAt(dataAddr, size)
	if err != nil {
		return nil, fmt.Errorf("local heap data: %w", err)
	}
	return &localHeap{data: data}, nil
}

// str returns the null-terminated string at off.
func (h *localHeap) str(off uint64) (string, error) {
	if off >= uint64(len(h.data)) {
		return "", fmt.Errorf("local heap offset %d outside the heap (%d bytes)", off, len(h.data))
	}
	s := h.data[off:]
	i := bytes.IndexByte(s, 0)
	if i < 0 {
		return "", errors.New("local heap string is not terminated")
	}
	return string(s[:i]), nil
}

// globalHeapObject returns object index idx of the global heap collection at addr.
func (f *File) globalHeapObject(addr uint64, idx uint32) ([]byte, error) {
	coll, ok := f.gheaps[addr]
	if !ok {
		head, err := f.readAt(addr, uint64(8+f.lenSize))
		if err != nil {
			return nil, fmt.Errorf("global heap: %w", err)
		}
		d := f.decoder(head)
		d.sig("GCOL")
		d.skip(4)
		size := d.length()
		if d.err != nil {
			return nil, fmt.Errorf("global heap at %d: %w", addr, d.err)
		}
		if size < uint64(len(head)) {
			return nil, fmt.Errorf("global heap at %d: size %d too small", addr, size)
		}
		if coll, err = f.readAt(addr, size); err != nil {
			return nil, fmt.Errorf("global heap: %w", err)
		}
		f.gheaps[addr] = coll
	}
	d := f.decoder(coll)
	d.skip(8 + f.lenSize)
	for d.err == nil && d.remaining() >= 8+f.lenSize {
		id := d.u16()
		d.skip(6) // reference count, reserved
		size := d.length()
		if id == 0 {
			break // free space
		}
		if size > uint64(d.remaining()) {
			return nil, fmt.Errorf("global heap object %d: size %d runs past its collection", id, size)
		}
		data := d.take(int(size))
		if uint32(id) == idx {
			return data, nil
		}
		if pad := (8 - int(size)%8) % 8; pad <= d.remaining() {
			d.skip(pad)
		}
	}
	return nil, fmt.Errorf("global heap object %d not found in collection at %d", idx, addr)
}
