package hdf5

import (
	"fmt"
)

// btree1Entry is one child of a v1 B-tree leaf: its key bytes and address.
type btree1Entry struct {
	key   []byte // the key to the left of the child
	child uint64
}

// walkBTree1 visits the leaf entries of the v1 B-tree of nodeType at addr.
// keySize is the size of one key. seen detects shared or cyclic nodes.
func (f *File) walkBTree1(addr uint64, nodeType uint8, keySize int, fn func(btree1Entry) error) error {
	return f.walkBTree1Node(addr, nodeType, keySize, -1, map[uint64]bool{}, fn)
}

func (f *File) walkBTree1Node(addr uint64, nodeType uint8, keySize, wantLevel int, seen map[uint64]bool, fn func(btree1Entry) error) error {
	if seen[addr] {
		return fmt.Errorf("v1 B-tree node %d visited twice (cycle)", addr)
	}
	seen[addr] = true
	hdrSize := 8 + 2*f.offSize
	head, err := f.readAt(addr, uint64(hdrSize))
	if err != nil {
		return fmt.Errorf("v1 B-tree node: %w", err)
	}
	d := f.decoder(head)
	d.sig("TREE")
	typ := d.u8()
	level := int(d.u8())
	n := int(d.u16())
	if d.err != nil {
		return fmt.Errorf("v1 B-tree node at %d: %w", addr, d.err)
	}
	if typ != nodeType {
		return fmt.Errorf("v1 B-tree node at %d has type %d, want %d", addr, typ, nodeType)
	}
	if wantLevel >= 0 && level != wantLevel {
		return fmt.Errorf("v1 B-tree node at %d has level %d, want %d", addr, level, wantLevel)
	}
	body := uint64(n)*uint64(keySize+f.offSize) + uint64(keySize)
	b, err := f.readAt(addr+uint64(hdrSize), body)
	if err != nil {
		return fmt.Errorf("v1 B-tree node at %d: %w", addr, err)
	}
	d = f.decoder(b)
	for i := 0; i < n; i++ {
		key := d.take(keySize)
		child := d.addr()
		if d.err != nil {
			return d.err
		}
		if level > 0 {
			if err := f.walkBTree1Node(child, nodeType, keySize, level-1, seen, fn); err != nil {
				return err
			}
			continue
		}
		if err := fn(btree1Entry{key: key, child: child}); err != nil {
			return err
		}
	}
	return nil
}
