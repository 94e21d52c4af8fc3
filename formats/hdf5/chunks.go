package hdf5

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// chunkRef locates one stored chunk.
type chunkRef struct {
	addr   uint64
	size   uint64 // stored (possibly filtered) size
	mask   uint32 // filters skipped on write
	scaled []uint64
}

// chunkGrid describes how a chunked dataset divides into chunks.
type chunkGrid struct {
	dims      []uint64 // dataset dimensions
	chunk     []uint64 // chunk dimensions
	nchunks   []uint64 // chunks per dimension (current size)
	maxChunks []uint64 // chunks per dimension at maximum size (unlimited stays unlimited)
	chunkSize uint64   // bytes in one unfiltered chunk
	esz       uint64
}

func (ds *Dataset) grid() (*chunkGrid, error) {
	l := ds.layout
	g := &chunkGrid{dims: ds.space.dims, chunk: l.chunk, esz: uint64(ds.dt.size)}
	n := g.esz
	var ok bool
	for i, c := range l.chunk {
		if n, ok = mulCheck(n, c, uint64(ds.f.opts.MaxDatasetBytes)); !ok {
			return nil, fmt.Errorf("chunk %v too large", l.chunk)
		}
		g.nchunks = append(g.nchunks, (g.dims[i]+c-1)/c)
		m := ds.space.maxDims[i]
		if m == unlimited {
			g.maxChunks = append(g.maxChunks, unlimited)
		} else {
			g.maxChunks = append(g.maxChunks, (m+c-1)/c)
		}
	}
	g.chunkSize = n
	return g, nil
}

// linear returns the row-major index of scaled within dims (strides from dims).
func linear(scaled, dims []uint64) uint64 {
	var idx uint64
	for i, s := range scaled {
		idx = idx*dims[i] + s
	}
	return idx
}

// forEachChunk calls fn with the scaled coordinates of every chunk in the
// dataset's current extent.
func (g *chunkGrid) forEachChunk(fn func([]uint64) error) error {
	total := uint64(1)
	for _, n := range g.nchunks {
		total *= n
	}
	if total == 0 {
		return nil
	}
	sc := make([]uint64, len(g.nchunks))
	for {
		if err := fn(sc); err != nil {
			return err
		}
		i := len(sc) - 1
		for ; i >= 0; i-- {
			sc[i]++
			if sc[i] < g.nchunks[i] {
				break
			}
			sc[i] = 0
		}
		if i < 0 {
			return nil
		}
	}
}

// partial reports whether the chunk at scaled extends past the dataset.
func (g *chunkGrid) partial(scaled []uint64) bool {
	for i, s := range scaled {
		if (s+1)*g.chunk[i] > g.dims[i] {
			return true
		}
	}
	return false
}

// readChunks fills buf (the whole dataset) from its stored chunks. The
// index is walked first; chunks are then read, unfiltered and copied by up
// to GOMAXPROCS goroutines (ReaderAt allows parallel calls).
func (ds *Dataset) readChunks(buf []byte) error {
	esz := uint64(ds.dt.size)
	return ds.eachChunkRow(func(dst uint64, row []byte) error {
		copy(buf[dst*esz:], row)
		return nil
	})
}

// rowSink receives one row of a chunk: the row-major index of its first
// element in the dataset and its bytes. Calls may run concurrently but
// never for overlapping elements.
type rowSink func(dst uint64, row []byte) error

// eachChunkRow reads every stored chunk and passes the parts inside the
// dataset to sink, row by row.
func (ds *Dataset) eachChunkRow(sink rowSink) error {
	g, err := ds.grid()
	if err != nil {
		return err
	}
	seen := map[uint64]bool{}
	var refs []chunkRef
	err = ds.chunkRefs(g, func(c chunkRef) error {
		if c.addr == undefAddr {
			return nil
		}
		for i, s := range c.scaled {
			if s >= g.nchunks[i] {
				return nil // a chunk beyond the current extent (dataset shrank)
			}
		}
		key := linear(c.scaled, g.nchunks)
		if seen[key] {
			return fmt.Errorf("chunk %v stored twice", c.scaled)
		}
		seen[key] = true
		c.scaled = append([]uint64(nil), c.scaled...)
		refs = append(refs, c)
		return nil
	})
	if err != nil {
		return err
	}
	workers := min(runtime.GOMAXPROCS(0), len(refs))
	if workers <= 1 {
		for _, c := range refs {
			if err := ds.readChunk(g, sink, c); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		mu    sync.Mutex
		first error
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(refs) {
					return
				}
				if err := ds.readChunk(g, sink, refs[i]); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					next.Store(int64(len(refs))) // stop the others early
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// scratchPool recycles filter buffers between chunks and goroutines.
var scratchPool sync.Pool

// readChunk reads, unfilters and places one chunk.
func (ds *Dataset) readChunk(g *chunkGrid, sink rowSink, c chunkRef) error {
	data, err := ds.f.readAt(c.addr, c.size)
	if err != nil {
		return fmt.Errorf("chunk %v: %w", c.scaled, err)
	}
	filters := ds.filters
	if ds.layout.flags&0x01 != 0 && g.partial(c.scaled) {
		filters = nil
	}
	if len(filters) > 0 {
		scratch, _ := scratchPool.Get().(*filterScratch)
		if scratch == nil {
			scratch = &filterScratch{}
		}
		defer scratchPool.Put(scratch)
		if data, err = unfilter(data, filters, c.mask, g.chunkSize, scratch); err != nil {
			return fmt.Errorf("chunk %v: %w", c.scaled, err)
		}
	} else if uint64(len(data)) != g.chunkSize {
		return fmt.Errorf("chunk %v holds %d bytes, want %d", c.scaled, len(data), g.chunkSize)
	}
	return g.chunkRows(data, c.scaled, sink)
}

// chunkRows passes each row of the part of a chunk inside the dataset to sink.
func (g *chunkGrid) chunkRows(src []byte, scaled []uint64, sink rowSink) error {
	r := len(g.dims)
	start := make([]uint64, r)
	ext := make([]uint64, r)
	for i := range g.dims {
		start[i] = scaled[i] * g.chunk[i]
		ext[i] = min(g.chunk[i], g.dims[i]-start[i])
	}
	rowBytes := ext[r-1] * g.esz
	idx := make([]uint64, r) // position inside the chunk, last dim fixed at 0
	for {
		var so, do uint64
		for i := 0; i < r; i++ {
			so = so*g.chunk[i] + idx[i]
			do = do*g.dims[i] + start[i] + idx[i]
		}
		if err := sink(do, src[so*g.esz:so*g.esz+rowBytes]); err != nil {
			return err
		}
		i := r - 2
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < ext[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return nil
		}
	}
}

// chunkRefs calls fn for each stored chunk, whatever the index type.
func (ds *Dataset) chunkRefs(g *chunkGrid, fn func(chunkRef) error) error {
	l := ds.layout
	if l.addr == undefAddr {
		return nil // nothing written yet
	}
	if l.elem != 0 && l.elem != g.esz {
		return fmt.Errorf("chunk element size %d differs from the datatype size %d", l.elem, g.esz)
	}
	filtered := len(ds.filters) > 0
	switch l.index {
	case indexBTree1:
		return ds.btree1Chunks(g, fn)
	case indexSingle:
		size := g.chunkSize
		if l.flags&0x02 != 0 {
			size = l.singleSize
		}
		return fn(chunkRef{addr: l.addr, size: size, mask: l.singleMask, scaled: make([]uint64, len(g.dims))})
	case indexImplicit:
		return g.forEachChunk(func(sc []uint64) error {
			idx := linear(sc, capUnlimited(g.maxChunks, g.nchunks))
			off, ok := mulCheck(idx, g.chunkSize, 1<<62)
			if !ok {
				return errors.New("implicit chunk index overflows")
			}
			return fn(chunkRef{addr: l.addr + off, size: g.chunkSize, scaled: sc})
		})
	case indexFixed:
		return ds.fixedArrayChunks(g, filtered, fn)
	case indexExtArray:
		return ds.extArrayChunks(g, filtered, fn)
	case indexBTree2:
		return ds.btree2Chunks(g, filtered, fn)
	}
	return fmt.Errorf("chunk index type %d is not supported", l.index)
}

// capUnlimited replaces unlimited maximum chunk counts with current ones.
func capUnlimited(maxChunks, cur []uint64) []uint64 {
	out := make([]uint64, len(maxChunks))
	for i, m := range maxChunks {
		if m == unlimited {
			m = cur[i]
		}
		out[i] = m
	}
	return out
}

func (ds *Dataset) btree1Chunks(g *chunkGrid, fn func(chunkRef) error) error {
	f := ds.f
	rank := len(g.dims)
	keySize := 8 + 8*(rank+1)
	return f.walkBTree1(ds.layout.addr, 1, keySize, func(e btree1Entry) error {
		d := f.decoder(e.key)
		c := chunkRef{addr: e.child, size: uint64(d.u32()), mask: d.u32()}
		for i := 0; i < rank; i++ {
			off := d.u64()
			if off%g.chunk[i] != 0 {
				return fmt.Errorf("chunk offset %d not a multiple of the chunk size %d", off, g.chunk[i])
			}
			c.scaled = append(c.scaled, off/g.chunk[i])
		}
		if d.err != nil {
			return d.err
		}
		return fn(c)
	})
}

func (ds *Dataset) btree2Chunks(g *chunkGrid, filtered bool, fn func(chunkRef) error) error {
	f := ds.f
	typ := uint8(10)
	if filtered {
		typ = 11
	}
	t, err := f.openBTree2(ds.layout.addr, typ)
	if err != nil {
		return fmt.Errorf("chunk index: %w", err)
	}
	rank := len(g.dims)
	sizeLen := t.recSize - f.offSize - 4 - 8*rank
	if filtered && (sizeLen < 1 || sizeLen > 8) || !filtered && t.recSize != f.offSize+8*rank {
		return fmt.Errorf("chunk index records of %d bytes", t.recSize)
	}
	return t.walk(func(rec []byte) error {
		d := f.decoder(rec)
		c := chunkRef{addr: d.addr(), size: g.chunkSize}
		if filtered {
			c.size = d.uN(sizeLen)
			c.mask = d.u32()
		}
		for i := 0; i < rank; i++ {
			c.scaled = append(c.scaled, d.u64())
		}
		if d.err != nil {
			return d.err
		}
		return fn(c)
	})
}

// decodeChunkElem decodes a fixed or extensible array element.
func (f *File) decodeChunkElem(b []byte, filtered bool, chunkSize uint64) (chunkRef, error) {
	d := f.decoder(b)
	c := chunkRef{addr: d.addr(), size: chunkSize}
	if filtered {
		n := len(b) - f.offSize - 4
		if n < 1 || n > 8 {
			return c, fmt.Errorf("chunk array element of %d bytes", len(b))
		}
		c.size = d.uN(n)
		c.mask = d.u32()
	}
	return c, d.err
}

// bitSet reads bit i of an HDF5 bitmap (most significant bit first).
func bitSet(bm []byte, i uint64) bool {
	if i/8 >= uint64(len(bm)) {
		return false
	}
	return bm[i/8]&(0x80>>(i%8)) != 0
}
