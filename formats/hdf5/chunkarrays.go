package hdf5

import (
	"errors"
	"fmt"
)

// fixedArrayChunks reads a fixed array chunk index (layout version 4).
func (ds *Dataset) fixedArrayChunks(g *chunkGrid, filtered bool, fn func(chunkRef) error) error {
	f := ds.f
	hb, err := f.readAt(ds.layout.addr, uint64(4+4+f.lenSize+f.offSize+4))
	if err != nil {
		return fmt.Errorf("fixed array header: %w", err)
	}
	if err := verifyChecksum(hb, "fixed array header"); err != nil {
		return err
	}
	d := f.decoder(hb)
	d.sig("FAHD")
	d.skip(2) // version, client ID
	esz := uint64(d.u8())
	pageBits := d.u8()
	nelem := d.length()
	dblk := d.addr()
	if d.err != nil {
		return fmt.Errorf("fixed array header: %w", d.err)
	}
	if esz < uint64(f.offSize) || pageBits > 32 {
		return fmt.Errorf("fixed array with %d-byte elements, %d page bits", esz, pageBits)
	}
	if dblk == undefAddr {
		return nil
	}
	if total, ok := mulCheck(nelem, esz, uint64(f.size)); !ok || total > uint64(f.size) {
		return fmt.Errorf("fixed array of %d elements does not fit the file", nelem)
	}
	pageN := uint64(1) << pageBits
	prefix := uint64(4 + 1 + 1 + f.offSize)
	var elems []byte
	if nelem <= pageN {
		b, err := f.readAt(dblk, prefix+nelem*esz+4)
		if err != nil {
			return fmt.Errorf("fixed array data block: %w", err)
		}
		if string(b[:4]) != "FADB" {
			return errors.New("fixed array data block: bad signature")
		}
		if err := verifyChecksum(b, "fixed array data block"); err != nil {
			return err
		}
		elems = b[prefix : prefix+nelem*esz]
	} else {
		npages := (nelem + pageN - 1) / pageN
		bm := (npages + 7) / 8
		b, err := f.readAt(dblk, prefix+bm+4)
		if err != nil {
			return fmt.Errorf("fixed array data block: %w", err)
		}
		if string(b[:4]) != "FADB" {
			return errors.New("fixed array data block: bad signature")
		}
		if err := verifyChecksum(b, "fixed array data block"); err != nil {
			return err
		}
		bitmap := b[prefix : prefix+bm]
		pageAddr := dblk + uint64(len(b))
		elems = make([]byte, nelem*esz)
		for p := uint64(0); p < npages; p++ {
			n := min(pageN, nelem-p*pageN)
			if bitSet(bitmap, p) {
				pb, err := f.readAt(pageAddr, n*esz+4)
				if err != nil {
					return fmt.Errorf("fixed array page %d: %w", p, err)
				}
				if err := verifyChecksum(pb, "fixed array page"); err != nil {
					return err
				}
				copy(elems[p*pageN*esz:], pb[:n*esz])
			} else {
				fillUndef(elems[p*pageN*esz:(p*pageN+n)*esz], esz, f.offSize)
			}
			pageAddr += pageN*esz + 4
		}
	}
	dims := capUnlimited(g.maxChunks, g.nchunks)
	return g.forEachChunk(func(sc []uint64) error {
		idx := linear(sc, dims)
		if idx >= nelem {
			return fmt.Errorf("chunk %v outside the fixed array (%d elements)", sc, nelem)
		}
		c, err := f.decodeChunkElem(elems[idx*esz:(idx+1)*esz], filtered, g.chunkSize)
		if err != nil {
			return err
		}
		c.scaled = sc
		return fn(c)
	})
}

// fillUndef marks array elements of an uninitialised page as unallocated.
func fillUndef(b []byte, esz uint64, offSize int) {
	for i := uint64(0); i+esz <= uint64(len(b)); i += esz {
		for j := 0; j < offSize; j++ {
			b[i+uint64(j)] = 0xff
		}
	}
}

// extArray is an extensible array chunk index.
type extArray struct {
	f          *File
	esz        uint64
	maxBits    int
	idxElmts   uint64
	dblkMin    uint64
	sblkMinPtr uint64
	pageBits   int
	iblock     []byte // index block body after its prefix
	arrOffSize int
	sblks      []eaSuper
	ibNsblks   int
	ibDblks    uint64
	cache      map[uint64][]byte
}

type eaSuper struct {
	ndblks, dblkN, startIdx, startDblk uint64
}

func (ds *Dataset) extArrayChunks(g *chunkGrid, filtered bool, fn func(chunkRef) error) error {
	f := ds.f
	ea, err := f.openExtArray(ds.layout.addr)
	if err != nil {
		return fmt.Errorf("extensible array: %w", err)
	}
	if ea == nil {
		return nil
	}
	// The index swizzles the unlimited dimension to the front.
	unlim := -1
	for i, m := range g.maxChunks {
		if m == unlimited {
			if unlim >= 0 {
				return errors.New("extensible array index with several unlimited dimensions")
			}
			unlim = i
		}
	}
	if unlim < 0 {
		return errors.New("extensible array index without an unlimited dimension")
	}
	swz := func(v []uint64) []uint64 {
		out := []uint64{v[unlim]}
		out = append(out, v[:unlim]...)
		return append(out, v[unlim+1:]...)
	}
	dims := swz(g.maxChunks)
	dims[0] = g.nchunks[unlim]
	return g.forEachChunk(func(sc []uint64) error {
		idx := linear(swz(sc), dims)
		el, err := ea.element(idx)
		if err != nil {
			return fmt.Errorf("chunk %v: %w", sc, err)
		}
		if el == nil {
			return nil
		}
		c, err := f.decodeChunkElem(el, filtered, g.chunkSize)
		if err != nil {
			return err
		}
		c.scaled = sc
		return fn(c)
	})
}

func (f *File) openExtArray(addr uint64) (*extArray, error) {
	hb, err := f.readAt(addr, uint64(12+6*f.lenSize+f.offSize+4))
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if err := verifyChecksum(hb, "header"); err != nil {
		return nil, err
	}
	d := f.decoder(hb)
	d.sig("EAHD")
	d.skip(2)
	ea := &extArray{f: f, cache: map[uint64][]byte{}}
	ea.esz = uint64(d.u8())
	ea.maxBits = int(d.u8())
	ea.idxElmts = uint64(d.u8())
	ea.dblkMin = uint64(d.u8())
	ea.sblkMinPtr = uint64(d.u8())
	ea.pageBits = int(d.u8())
	for i := 0; i < 6; i++ {
		d.length()
	}
	iaddr := d.addr()
	if d.err != nil {
		return nil, fmt.Errorf("header: %w", d.err)
	}
	if ea.esz < uint64(f.offSize) || ea.maxBits < 1 || ea.maxBits > 40 || !pow2(ea.dblkMin) ||
		!pow2(ea.sblkMinPtr) || ea.pageBits > 32 || log2floor(ea.dblkMin) > ea.maxBits {
		return nil, fmt.Errorf("parameters out of range")
	}
	if iaddr == undefAddr {
		return nil, nil
	}
	ea.arrOffSize = (ea.maxBits + 7) / 8
	nsblks := 1 + ea.maxBits - log2floor(ea.dblkMin)
	var startIdx, startDblk uint64
	for u := 0; u < nsblks; u++ {
		s := eaSuper{ndblks: 1 << uint(u/2), dblkN: (1 << uint((u+1)/2)) * ea.dblkMin, startIdx: startIdx, startDblk: startDblk}
		ea.sblks = append(ea.sblks, s)
		startIdx += s.ndblks * s.dblkN
		startDblk += s.ndblks
	}
	ea.ibNsblks = 2 * log2floor(ea.sblkMinPtr)
	ea.ibDblks = 2 * (ea.sblkMinPtr - 1)
	if ea.ibNsblks > nsblks {
		return nil, fmt.Errorf("index block holds %d super blocks of %d", ea.ibNsblks, nsblks)
	}
	nsAddrs := uint64(nsblks - ea.ibNsblks)
	prefix := uint64(4 + 1 + 1 + f.offSize)
	body := ea.idxElmts*ea.esz + (ea.ibDblks+nsAddrs)*uint64(f.offSize)
	b, err := f.readAt(iaddr, prefix+body+4)
	if err != nil {
		return nil, fmt.Errorf("index block: %w", err)
	}
	if string(b[:4]) != "EAIB" {
		return nil, errors.New("index block: bad signature")
	}
	if err := verifyChecksum(b, "index block"); err != nil {
		return nil, err
	}
	ea.iblock = b[prefix : prefix+body]
	return ea, nil
}

// element returns the raw element idx, or nil where none is allocated.
func (ea *extArray) element(idx uint64) ([]byte, error) {
	f := ea.f
	if idx < ea.idxElmts {
		return ea.iblock[idx*ea.esz : (idx+1)*ea.esz], nil
	}
	e := idx - ea.idxElmts
	s := log2floor(e/ea.dblkMin + 1)
	if s >= len(ea.sblks) {
		return nil, fmt.Errorf("element %d beyond the array", idx)
	}
	sb := ea.sblks[s]
	if e < sb.startIdx {
		return nil, fmt.Errorf("element %d misplaced", idx)
	}
	within := e - sb.startIdx
	dblk := within / sb.dblkN
	off := within % sb.dblkN
	ptrs := ea.iblock[ea.idxElmts*ea.esz:]
	var daddr uint64
	var bitmap []byte
	npages := uint64(0)
	pageN := uint64(1) << uint(ea.pageBits)
	if sb.dblkN > pageN {
		npages = sb.dblkN / pageN
	}
	if s < ea.ibNsblks {
		d := f.decoder(ptrs)
		d.skip(int((sb.startDblk + dblk) * uint64(f.offSize)))
		daddr = d.addr()
		if d.err != nil {
			return nil, d.err
		}
	} else {
		d := f.decoder(ptrs)
		d.skip(int((ea.ibDblks + uint64(s-ea.ibNsblks)) * uint64(f.offSize)))
		saddr := d.addr()
		if d.err != nil {
			return nil, d.err
		}
		if saddr == undefAddr {
			return nil, nil
		}
		bm := (sb.ndblks*npages + 7) / 8
		prefix := uint64(4+1+1+f.offSize) + uint64(ea.arrOffSize)
		b, err := ea.block(saddr, prefix+bm+sb.ndblks*uint64(f.offSize)+4, "EASB")
		if err != nil {
			return nil, fmt.Errorf("secondary block: %w", err)
		}
		bitmap = b[prefix : prefix+bm]
		d = f.decoder(b[prefix+bm+dblk*uint64(f.offSize):])
		daddr = d.addr()
		if d.err != nil {
			return nil, d.err
		}
	}
	if daddr == undefAddr {
		return nil, nil
	}
	prefix := uint64(4+1+1+f.offSize) + uint64(ea.arrOffSize)
	if npages == 0 {
		b, err := ea.block(daddr, prefix+sb.dblkN*ea.esz+4, "EADB")
		if err != nil {
			return nil, fmt.Errorf("data block: %w", err)
		}
		return b[prefix+off*ea.esz : prefix+(off+1)*ea.esz], nil
	}
	page := off / pageN
	if bitmap != nil && !bitSet(bitmap, dblk*npages+page) {
		return nil, nil
	}
	paddr := daddr + prefix + 4 + page*(pageN*ea.esz+4)
	b, err := ea.block(paddr, pageN*ea.esz+4, "")
	if err != nil {
		return nil, fmt.Errorf("data block page: %w", err)
	}
	p := off % pageN
	return b[p*ea.esz : (p+1)*ea.esz], nil
}

// block reads and checks (once) a checksummed extensible array block.
func (ea *extArray) block(addr, size uint64, sig string) ([]byte, error) {
	if b, ok := ea.cache[addr]; ok {
		if uint64(len(b)) != size {
			return nil, errors.New("block reused with another size")
		}
		return b, nil
	}
	b, err := ea.f.readAt(addr, size)
	if err != nil {
		return nil, err
	}
	if sig != "" && string(b[:4]) != sig {
		return nil, fmt.Errorf("bad signature, want %s", sig)
	}
	if err := verifyChecksum(b, sig); err != nil {
		return nil, err
	}
	ea.cache[addr] = b
	return b, nil
}
