package hdf5

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

// HDF5 filter identifiers.
const (
	filterDeflate    = 1
	filterShuffle    = 2
	filterFletcher32 = 3
)

// filter is one stage of a dataset's filter pipeline.
type filter struct {
	id     uint16
	name   string
	client []uint32
}

func (f *File) parseFilters(b []byte) ([]filter, error) {
	d := f.decoder(b)
	ver := d.u8()
	n := int(d.u8())
	if ver == 1 {
		d.skip(6)
	} else if ver != 2 {
		return nil, fmt.Errorf("filter pipeline version %d", ver)
	}
	if n > 32 {
		return nil, fmt.Errorf("filter pipeline with %d filters", n)
	}
	var out []filter
	for i := 0; i < n; i++ {
		var fl filter
		fl.id = d.u16()
		nameLen := 0
		if ver == 1 || fl.id >= 256 {
			nameLen = int(d.u16())
		}
		d.u16() // flags
		nvals := int(d.u16())
		if ver == 1 {
			nameLen = (nameLen + 7) &^ 7
		}
		name := d.take(nameLen)
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		fl.name = string(name)
		if nvals > d.remaining()/4 {
			d.fail(fmt.Errorf("filter %d: %d client values", fl.id, nvals))
		}
		for j := 0; j < nvals && d.err == nil; j++ {
			fl.client = append(fl.client, d.u32())
		}
		if ver == 1 && nvals%2 == 1 {
			d.skip(4)
		}
		if d.err != nil {
			return nil, fmt.Errorf("filter pipeline: %w", d.err)
		}
		switch fl.id {
		case filterDeflate, filterShuffle, filterFletcher32:
		default:
			return nil, fmt.Errorf("filter %d (%q) is not supported", fl.id, fl.name)
		}
		out = append(out, fl)
	}
	return out, nil
}

// unfilter undoes the pipeline on one stored chunk. mask has bit i set when
// filter i was skipped on write. The result must be exactly want bytes.
//
// scratch, when not nil, supplies reusable output buffers; the result may
// alias them, so it is valid until scratch is reused.
func unfilter(data []byte, filters []filter, mask uint32, want uint64, scratch *filterScratch) ([]byte, error) {
	if scratch == nil {
		scratch = &filterScratch{}
	}
	for i := len(filters) - 1; i >= 0; i-- {
		if i < 32 && mask&(1<<uint(i)) != 0 {
			continue
		}
		fl := filters[i]
		var err error
		switch fl.id {
		case filterDeflate:
			data, err = inflate(data, want+64, &scratch.inflated)
		case filterShuffle:
			size := uint32(1)
			if len(fl.client) > 0 {
				size = fl.client[0]
			}
			data, err = unshuffle(data, size, &scratch.shuffled)
		case filterFletcher32:
			data, err = checkFletcher32(data)
		}
		if err != nil {
			return nil, err
		}
	}
	if uint64(len(data)) != want {
		return nil, fmt.Errorf("chunk holds %d bytes after filters, want %d", len(data), want)
	}
	return data, nil
}

// zlibReaders recycles decompressors (each holds a 32 KiB window).
var zlibReaders sync.Pool

// filterScratch holds buffers that filters reuse from chunk to chunk.
type filterScratch struct{ inflated, shuffled []byte }

// grow returns (*buf)[:n], reallocating when its capacity is short.
func grow(buf *[]byte, n int) []byte {
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	return (*buf)[:n]
}

func inflate(src []byte, limit uint64, buf *[]byte) ([]byte, error) {
	var r io.ReadCloser
	var err error
	if p, ok := zlibReaders.Get().(io.ReadCloser); ok {
		err = p.(zlib.Resetter).Reset(bytes.NewReader(src), nil)
		r = p
	} else {
		r, err = zlib.NewReader(bytes.NewReader(src))
	}
	if err != nil {
		return nil, fmt.Errorf("deflate: %w", err)
	}
	defer zlibReaders.Put(r)
	out := grow(buf, int(min(limit, 1<<26)+1))
	n, err := io.ReadFull(r, out)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return out[:n], nil
	case err != nil:
		return nil, fmt.Errorf("deflate: %w", err)
	}
	return nil, fmt.Errorf("deflate: chunk inflates past its declared size (%d bytes)", limit)
}

func unshuffle(src []byte, size uint32, buf *[]byte) ([]byte, error) {
	if size == 0 || size > 1<<16 {
		return nil, fmt.Errorf("shuffle: element size %d", size)
	}
	esz := int(size)
	if esz == 1 {
		return src, nil
	}
	n := len(src) / esz
	out := grow(buf, len(src))
	for j := 0; j < esz; j++ {
		in := src[j*n : (j+1)*n]
		for i, b := range in {
			out[i*esz+j] = b
		}
	}
	copy(out[n*esz:], src[n*esz:])
	return out, nil
}

func checkFletcher32(src []byte) ([]byte, error) {
	if len(src) < 4 {
		return nil, fmt.Errorf("fletcher32: chunk of %d bytes", len(src))
	}
	n := len(src) - 4
	stored := binary.LittleEndian.Uint32(src[n:])
	sum := fletcher32(src[:n])
	// HDF5 1.6.x stored each 16-bit half byte-swapped; accept both as the library does.
	swapped := (sum&0x00ff00ff)<<8 | (sum>>8)&0x00ff00ff
	if stored != sum && stored != swapped {
		return nil, fmt.Errorf("fletcher32: checksum mismatch (stored %#08x, computed %#08x)", stored, sum)
	}
	return src[:n], nil
}
