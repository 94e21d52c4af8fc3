package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"unicode/utf8"

	"github.com/graft-ml/graft/tensor"
)

// Write stores entries as F32 tensors (whatever their DType says, since
// their values are float32), in the order given, with optional
// string metadata, to path. The file appears complete or not at all: it is
// written to a temporary file in the same directory, synced, and renamed.
func Write(path string, entries []Entry, metadata map[string]string) (err error) {
	if err := checkEntries(entries, path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := Encode(bw, entries, metadata); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	// Sync the directory so the rename itself survives a crash; some file
	// systems refuse to sync a directory, which is not worth failing over.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Encode writes entries as an F32 safetensors stream to w.
func Encode(w io.Writer, entries []Entry, metadata map[string]string) error {
	if err := checkEntries(entries, "<encode>"); err != nil {
		return err
	}
	hdr, err := encodeHeader(entries, metadata)
	if err != nil {
		return err
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hdr)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	buf := make([]byte, 0, 64<<10)
	for _, e := range entries {
		for _, v := range e.Tensor.Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			if len(buf) == cap(buf) {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
	}
	_, err = w.Write(buf)
	return err
}

// checkEntries rejects what Write cannot store faithfully; file labels
// errors.
func checkEntries(entries []Entry, file string) error {
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		switch {
		case e.Name == "" || e.Name == metadataKey || !utf8.ValidString(e.Name):
			return fmt.Errorf("safetensors: %s: invalid tensor name %q", file, e.Name)
		case seen[e.Name]:
			return fmt.Errorf("safetensors: %s: tensor %q given twice", file, e.Name)
		case e.Tensor == nil:
			return fmt.Errorf("safetensors: %s: tensor %q is nil", file, e.Name)
		case tensor.Numel(e.Tensor.Shape) != len(e.Tensor.Data):
			return fmt.Errorf("safetensors: %s: tensor %q: shape %v does not match %d elements", file, e.Name, e.Tensor.Shape, len(e.Tensor.Data))
		}
		seen[e.Name] = true
	}
	return nil
}

// encodeHeader builds the JSON header with tensors in the given order,
// padded with spaces to a multiple of 8 bytes so the data is aligned.
func encodeHeader(entries []Entry, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, fmt.Errorf("metadata %q: not valid UTF-8", k)
		}
	}
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString(`"__metadata__":{`)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, k)
			b.WriteByte(':')
			writeJSONString(&b, metadata[k])
		}
		b.WriteByte('}')
	}
	var off int64
	for i, e := range entries {
		if i > 0 || len(metadata) > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, e.Name)
		shape := e.Tensor.Shape
		if shape == nil {
			shape = []int{}
		}
		sj, err := json.Marshal(shape)
		if err != nil {
			return nil, err
		}
		n := int64(len(e.Tensor.Data)) * 4
		fmt.Fprintf(&b, `:{"dtype":"F32","shape":%s,"data_offsets":[%d,%d]}`, sj, off, off+n)
		off += n
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	j, _ := json.Marshal(s) // marshalling a string cannot fail
	b.Write(j)
}
