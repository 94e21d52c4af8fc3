package hdf5

import (
	"errors"
	"fmt"
)

// Object header message types used by this reader.
const (
	msgNil          = 0x00
	msgDataspace    = 0x01
	msgLinkInfo     = 0x02
	msgDatatype     = 0x03
	msgFillOld      = 0x04
	msgFill         = 0x05
	msgLink         = 0x06
	msgLayout       = 0x08
	msgGroupInfo    = 0x0A
	msgFilters      = 0x0B
	msgAttribute    = 0x0C
	msgContinuation = 0x10
	msgSymbolTable  = 0x11
	msgAttrInfo     = 0x15
)

// maxHeaderChunks bounds the continuation blocks followed for one header.
const maxHeaderChunks = 4096

// message is one raw object header message.
type message struct {
	typ   uint16
	flags uint8
	data  []byte
}

// objectHeader is the parsed list of messages of one object.
type objectHeader struct {
	addr uint64
	msgs []message
}

// find returns the first message of type typ, or nil.
func (h *objectHeader) find(typ uint16) *message {
	for i := range h.msgs {
		if h.msgs[i].typ == typ {
			return &h.msgs[i]
		}
	}
	return nil
}

// header reads (and caches) the object header at addr.
func (f *File) header(addr uint64) (*objectHeader, error) {
	if h, ok := f.headers[addr]; ok {
		return h, nil
	}
	h, err := f.parseHeader(addr)
	if err != nil {
		return nil, fmt.Errorf("object header at %d: %w", addr, err)
	}
	f.headers[addr] = h
	return h, nil
}

type chunkSpan struct{ addr, size uint64 }

func (f *File) parseHeader(addr uint64) (*objectHeader, error) {
	prefix, err := f.readUpTo(addr, 64)
	if err != nil {
		return nil, err
	}
	if len(prefix) >= 4 && string(prefix[:4]) == "OHDR" {
		return f.parseHeaderV2(addr, prefix)
	}
	if len(prefix) >= 1 && prefix[0] == 1 {
		return f.parseHeaderV1(addr, prefix)
	}
	return nil, errors.New("unknown object header format")
}

func (f *File) parseHeaderV1(addr uint64, prefix []byte) (*objectHeader, error) {
	d := f.decoder(prefix)
	d.skip(4) // version, reserved, message count (which includes continuations)
	d.skip(4) // reference count
	size := d.u32()
	if d.err != nil {
		return nil, d.err
	}
	h := &objectHeader{addr: addr}
	queue := []chunkSpan{{addr + 16, uint64(size)}}
	seen := map[uint64]bool{}
	for n := 0; len(queue) > 0; n++ {
		c := queue[0]
		queue = queue[1:]
		if n >= maxHeaderChunks || seen[c.addr] {
			return nil, errors.New("cycle or too many continuation blocks")
		}
		seen[c.addr] = true
		b, err := f.readAt(c.addr, c.size)
		if err != nil {
			return nil, fmt.Errorf("header block: %w", err)
		}
		d := f.decoder(b)
		for d.remaining() >= 8 {
			typ := d.u16()
			sz := d.u16()
			flags := d.u8()
			d.skip(3)
			data := d.take(int(sz))
			if d.err != nil {
				return nil, fmt.Errorf("message type %#x: %w", typ, d.err)
			}
			if typ == msgContinuation {
				span, err := f.parseContinuation(data)
				if err != nil {
					return nil, err
				}
				queue = append(queue, span)
				continue
			}
			h.msgs = append(h.msgs, message{typ: typ, flags: flags, data: data})
		}
	}
	return h, nil
}

func (f *File) parseContinuation(data []byte) (chunkSpan, error) {
	d := f.decoder(data)
	s := chunkSpan{d.addr(), d.length()}
	if d.err != nil {
		return s, fmt.Errorf("continuation message: %w", d.err)
	}
	if s.size > maxMetadataBlock {
		return s, fmt.Errorf("continuation block of %d bytes", s.size)
	}
	return s, nil
}

func (f *File) parseHeaderV2(addr uint64, prefix []byte) (*objectHeader, error) {
	d := f.decoder(prefix)
	d.skip(4)
	if v := d.u8(); v != 2 {
		return nil, fmt.Errorf("object header version %d", v)
	}
	flags := d.u8()
	if flags&0x20 != 0 {
		d.skip(16) // times
	}
	if flags&0x10 != 0 {
		d.skip(4) // attribute phase change
	}
	size := d.uN(1 << (flags & 3))
	if d.err != nil {
		return nil, d.err
	}
	hdrLen := uint64(d.off)
	if size > maxMetadataBlock {
		return nil, fmt.Errorf("header chunk of %d bytes", size)
	}
	block, err := f.readAt(addr, hdrLen+size+4)
	if err != nil {
		return nil, err
	}
	if err := verifyChecksum(block, "object header"); err != nil {
		return nil, err
	}
	h := &objectHeader{addr: addr}
	crtOrder := flags&0x04 != 0
	queue, err := f.parseMessagesV2(h, block[hdrLen:len(block)-4], crtOrder)
	if err != nil {
		return nil, err
	}
	seen := map[uint64]bool{}
	for n := 0; len(queue) > 0; n++ {
		c := queue[0]
		queue = queue[1:]
		if n >= maxHeaderChunks || seen[c.addr] || c.addr == addr {
			return nil, errors.New("cycle or too many continuation blocks")
		}
		seen[c.addr] = true
		b, err := f.readAt(c.addr, c.size)
		if err != nil {
			return nil, fmt.Errorf("continuation block: %w", err)
		}
		if len(b) < 8 || string(b[:4]) != "OCHK" {
			return nil, errors.New("continuation block: bad signature")
		}
		if err := verifyChecksum(b, "continuation block"); err != nil {
			return nil, err
		}
		more, err := f.parseMessagesV2(h, b[4:len(b)-4], crtOrder)
		if err != nil {
			return nil, err
		}
		queue = append(queue, more...)
	}
	return h, nil
}

func (f *File) parseMessagesV2(h *objectHeader, b []byte, crtOrder bool) ([]chunkSpan, error) {
	hsz := 4
	if crtOrder {
		hsz = 6
	}
	var conts []chunkSpan
	d := f.decoder(b)
	for d.remaining() >= hsz {
		typ := uint16(d.u8())
		sz := d.u16()
		flags := d.u8()
		if crtOrder {
			d.skip(2)
		}
		data := d.take(int(sz))
		if d.err != nil {
			return nil, fmt.Errorf("message type %#x: %w", typ, d.err)
		}
		if typ == msgContinuation {
			span, err := f.parseContinuation(data)
			if err != nil {
				return nil, err
			}
			conts = append(conts, span)
			continue
		}
		h.msgs = append(h.msgs, message{typ: typ, flags: flags, data: data})
	}
	return conts, nil
}

// resolveShared returns the body of msg, following a shared-message
// reference to the object header that holds it.
func (f *File) resolveShared(msg *message, depth int) ([]byte, error) {
	if msg.flags&0x02 == 0 {
		return msg.data, nil
	}
	if depth > 8 {
		return nil, errors.New("shared message chain too deep")
	}
	d := f.decoder(msg.data)
	ver := d.u8()
	typ := d.u8()
	var addr uint64
	switch ver {
	case 1:
		d.skip(6)
		addr = d.addr()
	case 2:
		addr = d.addr()
	case 3:
		if typ != 2 {
			return nil, fmt.Errorf("shared message stored in the shared-message heap (type %d) is not supported", typ)
		}
		addr = d.addr()
	default:
		return nil, fmt.Errorf("shared message version %d", ver)
	}
	if d.err != nil {
		return nil, fmt.Errorf("shared message: %w", d.err)
	}
	h, err := f.header(addr)
	if err != nil {
		return nil, fmt.Errorf("shared message target: %w", err)
	}
	m := h.find(msg.typ)
	if m == nil {
		return nil, fmt.Errorf("shared message target lacks a message of type %#x", msg.typ)
	}
	return f.resolveShared(m, depth+1)
}
