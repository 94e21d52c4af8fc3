package safetensors

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/graft-ml/graft/tensor"
)

// Entry is one named tensor. DType is the element type it was stored as;
// the values are always float32.
type Entry struct {
	Name   string
	DType  DType
	Tensor *tensor.Tensor
}

// File is the content of a safetensors file: its tensors in data order and
// its string metadata (nil when the file has none).
type File struct {
	Path     string
	Entries  []Entry
	Metadata map[string]string
	index    map[string]int
}

// Names returns the tensors' names in data order.
func (f *File) Names() []string {
	names := make([]string, len(f.Entries))
	for i, e := range f.Entries {
		names[i] = e.Name
	}
	return names
}

// Lookup returns the named tensor and whether the file holds it.
func (f *File) Lookup(name string) (*tensor.Tensor, bool) {
	i, ok := f.index[name]
	if !ok {
		return nil, false
	}
	return f.Entries[i].Tensor, true
}

// Tensor returns the named tensor or an error naming the file and tensor.
func (f *File) Tensor(name string) (*tensor.Tensor, error) {
	t, ok := f.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("safetensors: %s: no tensor %q", f.Path, name)
	}
	return t, nil
}

// Read reads and validates the safetensors file at path.
func Read(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return ReadFrom(fh, st.Size(), path)
}

// Decode reads a safetensors file held in memory; name labels errors.
func Decode(data []byte, name string) (*File, error) {
	return ReadFrom(bytes.NewReader(data), int64(len(data)), name)
}

// chunkBytes is how much raw tensor data is read and converted at a time.
const chunkBytes = 1 << 20

// ReadFrom reads a safetensors file of size bytes from r; name labels
// errors. Tensors are allocated only after the header has been validated
// against size, so memory stays within a small multiple of the file's size
// (four float32 bytes per stored element).
func ReadFrom(r io.ReaderAt, size int64, name string) (*File, error) {
	if size < 8 {
		return nil, formatErr(name, "", "%d bytes is too short for the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if err := readAt(r, lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("safetensors: %s: reading header length: %w", name, err)
	}
	hdrLen := binary.LittleEndian.Uint64(lenBuf[:])
	if hdrLen > uint64(size-8) {
		return nil, formatErr(name, "", "header length %d exceeds the %d bytes after it", hdrLen, size-8)
	}
	if hdrLen > maxHeaderLen {
		return nil, formatErr(name, "", "header length %d exceeds the %d-byte limit", hdrLen, maxHeaderLen)
	}
	hdr := make([]byte, hdrLen)
	if err := readAt(r, hdr, 8); err != nil {
		return nil, fmt.Errorf("safetensors: %s: reading header: %w", name, err)
	}
	dataStart := 8 + int64(hdrLen)
	spans, meta, err := parseHeader(hdr, size-dataStart, name)
	if err != nil {
		return nil, err
	}
	f := &File{Path: name, Metadata: meta, Entries: make([]Entry, 0, len(spans)), index: make(map[string]int, len(spans))}
	var chunk []byte
	for _, s := range spans {
		data := make([]float32, s.numel)
		if chunk == nil && s.numel > 0 {
			chunk = make([]byte, min(chunkBytes, size-dataStart))
		}
		if err := readSpan(r, dataStart, s, chunk, data, name); err != nil {
			return nil, err
		}
		f.index[s.name] = len(f.Entries)
		f.Entries = append(f.Entries, Entry{Name: s.name, DType: s.dtype, Tensor: &tensor.Tensor{Shape: s.shape, Data: data}})
	}
	return f, nil
}

// readSpan reads one tensor's bytes through chunk and converts them into dst.
// file labels errors.
func readSpan(r io.ReaderAt, dataStart int64, s span, chunk []byte, dst []float32, file string) error {
	if s.dtype == F32 && nativeLittleEndian {
		if err := readAt(r, float32Bytes(dst), dataStart+s.begin); err != nil {
			return fmt.Errorf("safetensors: %s: tensor %q: %w", file, s.name, err)
		}
		return nil
	}
	size := s.dtype.Size()
	perChunk := len(chunk) / size
	for done := 0; done < s.numel; {
		n := min(perChunk, s.numel-done)
		buf := chunk[:n*size]
		if err := readAt(r, buf, dataStart+s.begin+int64(done*size)); err != nil {
			return fmt.Errorf("safetensors: %s: tensor %q: %w", file, s.name, err)
		}
		if bad := decodeInto(s.dtype, buf, dst[done:done+n]); bad >= 0 {
			return formatErr(file, s.name, "BOOL element %d is %d, want 0 or 1", done+bad, buf[bad])
		}
		done += n
	}
	return nil
}

// readAt fills buf from offset off. io.ReaderAt may report io.EOF along
// with a full read at the end of its input; that is success here.
func readAt(r io.ReaderAt, buf []byte, off int64) error {
	if len(buf) == 0 {
		return nil
	}
	n, err := r.ReadAt(buf, off)
	if n == len(buf) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}
