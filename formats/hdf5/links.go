package hdf5

import (
	"errors"
	"fmt"
	"sort"
)

// Link kinds.
const (
	linkHard     = 0
	linkSoft     = 1
	linkExternal = 64
)

// link is one named member of a group.
type link struct {
	name   string
	kind   int
	addr   uint64 // hard links
	target string // soft links
}

func (f *File) parseLink(b []byte) (link, error) {
	d := f.decoder(b)
	var l link
	if v := d.u8(); v != 1 {
		return l, fmt.Errorf("link message version %d", v)
	}
	flags := d.u8()
	if flags&0x08 != 0 {
		l.kind = int(d.u8())
	}
	if flags&0x04 != 0 {
		d.skip(8) // creation order
	}
	if flags&0x10 != 0 {
		d.skip(1) // charset
	}
	n := d.uN(1 << (flags & 3))
	if n == 0 || n > uint64(d.remaining()) {
		d.fail(fmt.Errorf("link name of %d bytes", n))
	}
	l.name = string(d.take(int(n)))
	switch l.kind {
	case linkHard:
		l.addr = d.addr()
	case linkSoft:
		m := d.u16()
		l.target = string(d.take(int(m)))
	case linkExternal:
		m := d.u16()
		d.skip(int(m))
	default:
		d.fail(fmt.Errorf("link %q of unknown type %d", l.name, l.kind))
	}
	if d.err != nil {
		return l, fmt.Errorf("link message: %w", d.err)
	}
	return l, nil
}

// links lists the members of the group whose header is h, sorted by name.
func (f *File) links(h *objectHeader) ([]link, error) {
	if ls, ok := f.linkCache[h.addr]; ok {
		return ls, nil
	}
	ls, err := f.readLinks(h)
	if err != nil {
		return nil, err
	}
	f.linkCache[h.addr] = ls
	return ls, nil
}

func (f *File) readLinks(h *objectHeader) ([]link, error) {
	var out []link
	if m := h.find(msgSymbolTable); m != nil {
		ls, err := f.symbolTableLinks(m.data)
		if err != nil {
			return nil, err
		}
		out = ls
	}
	for _, m := range h.msgs {
		if m.typ != msgLink {
			continue
		}
		l, err := f.parseLink(m.data)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	if m := h.find(msgLinkInfo); m != nil {
		ls, err := f.denseLinks(m.data)
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	for i := 1; i < len(out); i++ {
		if out[i].name == out[i-1].name {
			return nil, fmt.Errorf("group lists member %q twice", out[i].name)
		}
	}
	return out, nil
}

// symbolTableLinks reads an old-style group: a v1 B-tree of symbol table
// nodes whose names live in a local heap.
func (f *File) symbolTableLinks(msg []byte) ([]link, error) {
	d := f.decoder(msg)
	btree, heapAddr := d.addr(), d.addr()
	if d.err != nil {
		return nil, fmt.Errorf("symbol table message: %w", d.err)
	}
	heap, err := f.readLocalHeap(heapAddr)
	if err != nil {
		return nil, err
	}
	var out []link
	entrySize := f.lenSize + f.offSize + 24
	err = f.walkBTree1(btree, 0, f.lenSize, func(e btree1Entry) error {
		head, err := f.readAt(e.child, 8)
		if err != nil {
			return fmt.Errorf("symbol table node: %w", err)
		}
		d := f.decoder(head)
		d.sig("SNOD")
		d.skip(2)
		n := int(d.u16())
		if d.err != nil {
			return fmt.Errorf("symbol table node at %d: %w", e.child, d.err)
		}
		b, err := f.readAt(e.child+8, uint64(n*entrySize))
		if err != nil {
			return fmt.Errorf("symbol table node: %w", err)
		}
		d = f.decoder(b)
		for i := 0; i < n; i++ {
			nameOff := d.length()
			addr := d.addr()
			cache := d.u32()
			d.skip(4)
			scratch := d.take(16)
			if d.err != nil {
				return d.err
			}
			name, err := heap.str(nameOff)
			if err != nil {
				return err
			}
			l := link{name: name, kind: linkHard, addr: addr}
			if cache == 2 {
				// Soft link: the scratch pad holds the target's heap offset.
				t, err := heap.str(leUint(scratch[:4]))
				if err != nil {
					return err
				}
				l = link{name: name, kind: linkSoft, target: t}
			}
			out = append(out, l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// denseLinks reads the links kept in a fractal heap, indexed by name.
func (f *File) denseLinks(msg []byte) ([]link, error) {
	d := f.decoder(msg)
	if v := d.u8(); v != 0 {
		return nil, fmt.Errorf("link info version %d", v)
	}
	flags := d.u8()
	if flags&1 != 0 {
		d.skip(8)
	}
	heapAddr, nameIndex := d.addr(), d.addr()
	if d.err != nil {
		return nil, fmt.Errorf("link info message: %w", d.err)
	}
	if heapAddr == undefAddr {
		return nil, nil // compact storage: links are messages
	}
	heap, err := f.openFractalHeap(heapAddr)
	if err != nil {
		return nil, fmt.Errorf("link heap: %w", err)
	}
	t, err := f.openBTree2(nameIndex, 5)
	if err != nil {
		return nil, fmt.Errorf("link name index: %w", err)
	}
	if t.recSize < 5 {
		return nil, errors.New("link name index records too small")
	}
	var out []link
	err = t.walk(func(rec []byte) error {
		obj, err := heap.object(rec[4:])
		if err != nil {
			return fmt.Errorf("dense link: %w", err)
		}
		l, err := f.parseLink(obj)
		if err != nil {
			return err
		}
		out = append(out, l)
		return nil
	})
	return out, err
}
