// Package graftfile reads and writes Graft's own model file: the network's
// architecture, every weight and state tensor with its trainable flag, the
// preprocessing the weights expect, the class labels, training metadata and
// opaque blobs (optimizer and trainer state in checkpoints). Loading a file
// rebuilds exactly the graph that was saved. Files are written atomically.
//
// Layout: the 8-byte magic "GRAFTMDL", a little-endian uint32 format
// version, a uint64 header length, the JSON header, then the data section:
// float32 tensors and blobs at the offsets the header gives, each with a
// CRC-32 (IEEE).
package graftfile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// Version is the format version this package writes; it reads versions up to it.
const Version = 1

var magic = [8]byte{'G', 'R', 'A', 'F', 'T', 'M', 'D', 'L'}

// maxHeaderBytes bounds the JSON header a reader accepts.
const maxHeaderBytes = 64 << 20

// Model is everything a Graft file holds.
type Model struct {
	Graph      *nn.Graph
	Preprocess data.Preprocess
	Labels     []string
	// Meta is free-form training metadata (base model, metrics, dates). It
	// goes through JSON, so numbers come back as float64.
	Meta map[string]any
	// Blobs are opaque named byte strings, such as optimizer state.
	Blobs map[string][]byte
}

type tensorEntry struct {
	Name      string `json:"name"`
	Shape     []int  `json:"shape"`
	Offset    int64  `json:"offset"`
	Trainable bool   `json:"trainable,omitempty"`
	State     bool   `json:"state,omitempty"`
	CRC       uint32 `json:"crc32"`
}

type blobEntry struct {
	Name   string `json:"name"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
	CRC    uint32 `json:"crc32"`
}

type header struct {
	Graph      nn.GraphSpec    `json:"graph"`
	Preprocess data.Preprocess `json:"preprocess"`
	Labels     []string        `json:"labels,omitempty"`
	Meta       map[string]any  `json:"meta,omitempty"`
	Tensors    []tensorEntry   `json:"tensors"`
	Blobs      []blobEntry     `json:"blobs,omitempty"`
	DataLength int64           `json:"data_length"`
}

// Encode writes m to w.
func Encode(w io.Writer, m *Model) error {
	if m.Graph == nil {
		return errors.New("graftfile: model has no graph")
	}
	spec, err := m.Graph.Spec()
	if err != nil {
		return fmt.Errorf("graftfile: %w", err)
	}
	h := header{Graph: spec, Preprocess: m.Preprocess, Labels: m.Labels, Meta: m.Meta}
	var off int64
	var tensors []*tensor.Tensor
	add := func(p *nn.Param, state bool) {
		t := p.Value
		h.Tensors = append(h.Tensors, tensorEntry{Name: p.Name, Shape: t.Shape, Offset: off, Trainable: p.Trainable && !state,
			State: state, CRC: crc32.ChecksumIEEE(floatBytes(t.Data))})
		tensors = append(tensors, t)
		off += 4 * int64(len(t.Data))
	}
	for _, p := range m.Graph.Params() {
		add(p, false)
	}
	for _, p := range m.Graph.State() {
		add(p, true)
	}
	names := make([]string, 0, len(m.Blobs))
	for k := range m.Blobs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		b := m.Blobs[k]
		h.Blobs = append(h.Blobs, blobEntry{Name: k, Offset: off, Length: int64(len(b)), CRC: crc32.ChecksumIEEE(b)})
		off += int64(len(b))
	}
	h.DataLength = off
	hb, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("graftfile: header: %w", err)
	}
	var pre [20]byte
	copy(pre[:], magic[:])
	binary.LittleEndian.PutUint32(pre[8:], Version)
	binary.LittleEndian.PutUint64(pre[12:], uint64(len(hb)))
	if _, err := w.Write(pre[:]); err != nil {
		return err
	}
	if _, err := w.Write(hb); err != nil {
		return err
	}
	for _, t := range tensors {
		if _, err := w.Write(floatBytes(t.Data)); err != nil {
			return err
		}
	}
	for _, k := range names {
		if _, err := w.Write(m.Blobs[k]); err != nil {
			return err
		}
	}
	return nil
}

// floatBytes returns the little-endian bytes of v.
func floatBytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// Save writes m to path atomically: a temporary file in the same folder,
// synced, then renamed over path. A failure leaves any old file untouched.
func Save(path string, m *Model) error {
	return WriteAtomic(path, func(w io.Writer) error { return Encode(w, m) })
}

// WriteAtomic writes a file through fill into a temporary file beside path,
// syncs it and renames it into place, so readers see the old file or the
// whole new one, never a part.
func WriteAtomic(path string, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("graftfile: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = fill(bw); err != nil {
		return fmt.Errorf("graftfile: writing %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("graftfile: writing %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("graftfile: writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("graftfile: writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("graftfile: writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("graftfile: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Load reads a Graft file.
func Load(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("graftfile: %w", err)
	}
	m, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("graftfile: %s: %w", path, err)
	}
	return m, nil
}

// IsGraftFile reports whether b starts with the Graft file magic.
func IsGraftFile(b []byte) bool { return len(b) >= 8 && bytes.Equal(b[:8], magic[:]) }

// Decode reads a Graft file held in memory.
func Decode(b []byte) (*Model, error) {
	if len(b) < 20 || !IsGraftFile(b) {
		return nil, errors.New("not a Graft model file (bad magic)")
	}
	v := binary.LittleEndian.Uint32(b[8:])
	if v == 0 || v > Version {
		return nil, fmt.Errorf("format version %d; this Graft reads versions 1 to %d", v, Version)
	}
	hl := binary.LittleEndian.Uint64(b[12:])
	if hl > maxHeaderBytes || hl > uint64(len(b)-20) {
		return nil, fmt.Errorf("header length %d does not fit in the file (%d bytes)", hl, len(b))
	}
	var h header
	if err := json.Unmarshal(b[20:20+hl], &h); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	body := b[20+hl:]
	if h.DataLength != int64(len(body)) {
		return nil, fmt.Errorf("data section is %d bytes, header says %d (truncated or padded file)", len(body), h.DataLength)
	}
	need, err := h.Graph.ParamCount()
	if err != nil {
		return nil, err
	}
	if need > h.DataLength/4 {
		return nil, fmt.Errorf("the architecture needs %d weights but the file holds at most %d", need, h.DataLength/4)
	}
	g, err := nn.FromSpec(h.Graph)
	if err != nil {
		return nil, err
	}
	entries := map[string]tensorEntry{}
	for _, e := range h.Tensors {
		if _, dup := entries[e.Name]; dup {
			return nil, fmt.Errorf("tensor %s appears twice", e.Name)
		}
		entries[e.Name] = e
	}
	load := func(p *nn.Param, state bool) error {
		e, ok := entries[p.Name]
		if !ok {
			return fmt.Errorf("tensor %s is missing", p.Name)
		}
		delete(entries, p.Name)
		if !tensor.EqualShapes(e.Shape, p.Value.Shape) {
			return fmt.Errorf("tensor %s has shape %v, the architecture needs %v", p.Name, e.Shape, p.Value.Shape)
		}
		n := int64(4 * len(p.Value.Data))
		if e.Offset < 0 || e.Offset > int64(len(body))-n {
			return fmt.Errorf("tensor %s lies outside the data section", p.Name)
		}
		raw := body[e.Offset : e.Offset+n]
		if crc32.ChecksumIEEE(raw) != e.CRC {
			return fmt.Errorf("tensor %s: checksum mismatch (corrupt file)", p.Name)
		}
		for i := range p.Value.Data {
			p.Value.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		if !state {
			p.Trainable = e.Trainable
		}
		return nil
	}
	for _, p := range g.Params() {
		if err := load(p, false); err != nil {
			return nil, err
		}
	}
	for _, p := range g.State() {
		if err := load(p, true); err != nil {
			return nil, err
		}
	}
	for name := range entries {
		return nil, fmt.Errorf("tensor %s is not used by the architecture", name)
	}
	m := &Model{Graph: g, Preprocess: h.Preprocess, Labels: h.Labels, Meta: h.Meta}
	for _, bl := range h.Blobs {
		if bl.Offset < 0 || bl.Length < 0 || bl.Offset > int64(len(body))-bl.Length {
			return nil, fmt.Errorf("blob %s lies outside the data section", bl.Name)
		}
		raw := body[bl.Offset : bl.Offset+bl.Length]
		if crc32.ChecksumIEEE(raw) != bl.CRC {
			return nil, fmt.Errorf("blob %s: checksum mismatch (corrupt file)", bl.Name)
		}
		if m.Blobs == nil {
			m.Blobs = map[string][]byte{}
		}
		m.Blobs[bl.Name] = append([]byte(nil), raw...)
	}
	return m, nil
}
