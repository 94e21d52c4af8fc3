package hdf5

import (
	"errors"
	"fmt"
)

// Dataset is an HDF5 dataset: an n-dimensional array of one datatype.
type Dataset struct {
	node
	dt      *datatype
	space   *dataspace
	layout  *layout
	filters []filter
	fill    []byte
}

func newDataset(n node) (*Dataset, error) {
	f := n.f
	ds := &Dataset{node: n}
	get := func(typ uint16, what string) ([]byte, error) {
		m := n.hdr.find(typ)
		if m == nil {
			return nil, fmt.Errorf("dataset lacks a %s message", what)
		}
		return f.resolveShared(m, 0)
	}
	b, err := get(msgDatatype, "datatype")
	if err != nil {
		return nil, err
	}
	if ds.dt, err = parseDatatype(b); err != nil {
		return nil, err
	}
	if b, err = get(msgDataspace, "dataspace"); err != nil {
		return nil, err
	}
	if ds.space, err = f.parseDataspace(b); err != nil {
		return nil, err
	}
	if b, err = get(msgLayout, "layout"); err != nil {
		return nil, err
	}
	if ds.layout, err = f.parseLayout(b); err != nil {
		return nil, err
	}
	if ds.layout.class == layoutChunked && len(ds.layout.chunk) != len(ds.space.dims) {
		return nil, fmt.Errorf("chunk rank %d differs from dataset rank %d", len(ds.layout.chunk), len(ds.space.dims))
	}
	if m := n.hdr.find(msgFilters); m != nil {
		if ds.filters, err = f.parseFilters(m.data); err != nil {
			return nil, err
		}
	}
	if ds.fill, err = f.parseFill(n.hdr); err != nil {
		return nil, err
	}
	if ds.fill != nil && len(ds.fill) != int(ds.dt.size) {
		ds.fill = nil // a fill value of another size cannot be broadcast; keep zeros
	}
	return ds, nil
}

// Shape returns the dataset's dimensions; a scalar has none.
func (ds *Dataset) Shape() []int { return intDims(ds.space.dims) }

// Type returns a short description of the stored datatype, such as
// "float32le", "float16be" or "int64le".
func (ds *Dataset) Type() string { return ds.dt.String() }

// ReadFloat32 reads the whole dataset converted to float32, in row-major order.
// Floats of 16, 32 and 64 bits and integers of 8 to 64 bits convert.
func (ds *Dataset) ReadFloat32() ([]float32, error) {
	if out, ok, err := ds.streamFloat32(); ok {
		return out, err
	}
	if out, ok, err := ds.chunkedFloat32(); ok {
		return out, err
	}
	raw, n, err := ds.readRaw()
	if err != nil {
		return nil, err
	}
	out := make([]float32, n)
	if err := convertFloat32(out, raw, ds.dt); err != nil {
		return nil, ds.f.wrap(ds.path, err)
	}
	return out, nil
}

// ReadFloat64 reads the whole dataset converted to float64, in row-major order.
func (ds *Dataset) ReadFloat64() ([]float64, error) {
	raw, n, err := ds.readRaw()
	if err != nil {
		return nil, err
	}
	out := make([]float64, n)
	if err := convertFloat64(out, raw, ds.dt); err != nil {
		return nil, ds.f.wrap(ds.path, err)
	}
	return out, nil
}

// readRaw returns the dataset's bytes in its stored type and the element count.
func (ds *Dataset) readRaw() ([]byte, int, error) {
	raw, n, err := ds.readRawErr()
	if err != nil {
		return nil, 0, ds.f.wrap(ds.path, err)
	}
	return raw, n, nil
}

func (ds *Dataset) readRawErr() ([]byte, int, error) {
	f := ds.f
	limit := uint64(f.opts.MaxDatasetBytes)
	esz := uint64(ds.dt.size)
	count, err := ds.space.count(limit / esz)
	if err != nil {
		return nil, 0, err
	}
	nbytes, ok := mulCheck(count, esz, limit)
	if !ok || nbytes > limit {
		return nil, 0, fmt.Errorf("dataset of %d x %d bytes exceeds the %d-byte limit", count, esz, limit)
	}
	if _, err := numericType(ds.dt); err != nil {
		return nil, 0, err
	}
	l := ds.layout
	switch l.class {
	case layoutCompact:
		if uint64(len(l.compact)) < nbytes {
			return nil, 0, fmt.Errorf("compact data of %d bytes, want %d", len(l.compact), nbytes)
		}
		return l.compact[:nbytes], int(count), nil
	case layoutContiguous:
		if l.addr == undefAddr {
			return ds.filled(nbytes), int(count), nil
		}
		if l.size != 0 && l.size < nbytes {
			return nil, 0, fmt.Errorf("contiguous storage of %d bytes, want %d", l.size, nbytes)
		}
		b, err := f.readAt(l.addr, nbytes)
		if err != nil {
			return nil, 0, fmt.Errorf("contiguous data: %w", err)
		}
		return b, int(count), nil
	case layoutChunked:
		if len(ds.space.dims) == 0 {
			return nil, 0, errors.New("chunked scalar dataset")
		}
		buf := ds.filled(nbytes)
		if count == 0 {
			return buf, 0, nil
		}
		if err := ds.readChunks(buf); err != nil {
			return nil, 0, err
		}
		return buf, int(count), nil
	}
	return nil, 0, fmt.Errorf("layout class %d is not supported", l.class)
}

// filled returns n bytes holding the fill value (zeros by default).
func (ds *Dataset) filled(n uint64) []byte {
	b := make([]byte, n)
	if ds.fill != nil {
		for i := uint64(0); i+uint64(len(ds.fill)) <= n; i += uint64(len(ds.fill)) {
			copy(b[i:], ds.fill)
		}
	}
	return b
}

// streamBlock is the read size when converting contiguous data piecewise.
const streamBlock = 1 << 20

// streamFloat32 converts contiguous data block by block, so the peak memory
// is the float32 result plus one block rather than the stored bytes too.
// ok is false when the dataset is not stored that way.
func (ds *Dataset) streamFloat32() (out []float32, ok bool, err error) {
	l := ds.layout
	if l.class != layoutContiguous || l.addr == undefAddr {
		return nil, false, nil
	}
	t, err := numericType(ds.dt)
	if err != nil {
		return nil, false, nil
	}
	esz := uint64(t.size)
	limit := uint64(ds.f.opts.MaxDatasetBytes)
	count, err := ds.space.count(limit / esz)
	if err != nil {
		return nil, true, ds.f.wrap(ds.path, err)
	}
	nbytes := count * esz
	if nbytes > limit || (l.size != 0 && l.size < nbytes) {
		return nil, false, nil // let readRaw report it
	}
	if l.addr > uint64(ds.f.size) || nbytes > uint64(ds.f.size)-l.addr {
		return nil, false, nil
	}
	out = make([]float32, count)
	per := uint64(streamBlock) / esz
	buf := make([]byte, min(per, count)*esz)
	for i := uint64(0); i < count; i += per {
		n := min(per, count-i)
		b := buf[:n*esz]
		if err := ds.f.readInto(l.addr+i*esz, b); err != nil {
			return nil, true, ds.f.wrap(ds.path, fmt.Errorf("contiguous data: %w", err))
		}
		if err := convertFloat32(out[i:i+n], b, ds.dt); err != nil {
			return nil, true, ds.f.wrap(ds.path, err)
		}
	}
	return out, true, nil
}

// chunkedFloat32 converts chunked data chunk by chunk into the result, so
// no copy of the whole dataset in its stored type is made. ok is false when
// the dataset is not chunked or its type is not numeric.
func (ds *Dataset) chunkedFloat32() (out []float32, ok bool, err error) {
	if ds.layout.class != layoutChunked || len(ds.space.dims) == 0 {
		return nil, false, nil
	}
	t, err := numericType(ds.dt)
	if err != nil {
		return nil, false, nil
	}
	esz := uint64(t.size)
	limit := uint64(ds.f.opts.MaxDatasetBytes)
	count, err := ds.space.count(limit / esz)
	if err != nil || count*esz > limit {
		return nil, false, nil // let readRaw report it
	}
	out = make([]float32, count)
	if ds.fill != nil {
		var fv [1]float32
		if err := convertFloat32(fv[:], ds.fill, ds.dt); err == nil && fv[0] != 0 {
			for i := range out {
				out[i] = fv[0]
			}
		}
	}
	if count == 0 {
		return out, true, nil
	}
	err = ds.eachChunkRow(func(dst uint64, row []byte) error {
		return convertFloat32(out[dst:dst+uint64(len(row))/esz], row, ds.dt)
	})
	if err != nil {
		return nil, true, ds.f.wrap(ds.path, err)
	}
	return out, true, nil
}
