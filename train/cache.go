package train

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/graft-ml/graft/formats/graftfile"
	"github.com/graft-ml/graft/nn"
)

// FeatureCache keeps the outputs of a network's frozen prefix, so that
// training the layers after it does not run the prefix again. Entries are
// keyed by the prefix's architecture and weights and by the exact input the
// prefix saw (which covers the preprocessing, the image's content and, with
// augmentation, the augmented view). With a folder, entries persist across
// runs: one file per prefix, written atomically.
type FeatureCache struct {
	// Dir is where entries persist; empty keeps them in memory only.
	Dir string
	// MaxBytes bounds the features held (memory and each file); new entries
	// past it are not stored. Zero means 2 GiB.
	MaxBytes int64

	mu     sync.Mutex
	prefix string // hex key of the prefix the entries belong to
	dim    int
	byKey  map[[32]byte][]float32
	bytes  int64
	dirty  bool
	hits   int64
	misses int64
	full   bool
}

// CacheStats reports how a cache has been used.
type CacheStats struct {
	Entries      int
	Bytes        int64
	Hits, Misses int64
	Full         bool // the size limit was reached and entries were dropped
}

// Stats returns the cache's counters.
func (c *FeatureCache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Entries: len(c.byKey), Bytes: c.bytes, Hits: c.hits, Misses: c.misses, Full: c.full}
}

func (c *FeatureCache) limit() int64 {
	if c.MaxBytes > 0 {
		return c.MaxBytes
	}
	return 2 << 30
}

// prefixKey hashes a graph's architecture and every parameter and state
// value: any change to the frozen weights gives a new key.
func prefixKey(g *nn.Graph) (string, error) {
	spec, err := g.Spec()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	js, _ := json.Marshal(spec)
	h.Write(js)
	var b [4]byte
	for _, p := range append(g.Params(), g.State()...) {
		io.WriteString(h, p.Name)
		for _, v := range p.Value.Data {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			h.Write(b[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// inputKey hashes one network input.
func inputKey(x []float32) [32]byte {
	h := sha256.New()
	buf := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	h.Write(buf)
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

// use switches the cache to a prefix, loading its file if there is one.
func (c *FeatureCache) use(prefix string, dim int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prefix == prefix && c.dim == dim {
		return nil
	}
	c.prefix, c.dim, c.byKey, c.bytes, c.dirty, c.full = prefix, dim, map[[32]byte][]float32{}, 0, false, false
	if c.Dir == "" {
		return nil
	}
	err := c.load()
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		// A damaged cache file is not fatal: start afresh and overwrite it.
		c.byKey, c.bytes = map[[32]byte][]float32{}, 0
		return fmt.Errorf("train: feature cache %s unreadable, rebuilding: %w", c.path(), err)
	}
	return nil
}

func (c *FeatureCache) path() string { return filepath.Join(c.Dir, c.prefix+".features") }

const cacheMagic = "GRAFTFC1"

// load reads the prefix's file: magic, dim (uint32), count (uint64), then
// count × (32-byte key, dim float32), then a trailing sha256 of all before.
func (c *FeatureCache) load() error {
	b, err := os.ReadFile(c.path())
	if err != nil {
		return err
	}
	if len(b) < len(cacheMagic)+12+32 || string(b[:8]) != cacheMagic {
		return errors.New("not a feature cache file")
	}
	sum := sha256.Sum256(b[:len(b)-32])
	if string(sum[:]) != string(b[len(b)-32:]) {
		return errors.New("checksum mismatch")
	}
	dim := int(binary.LittleEndian.Uint32(b[8:]))
	n := binary.LittleEndian.Uint64(b[12:])
	rec := uint64(32 + 4*dim)
	body := b[20 : len(b)-32]
	if dim != c.dim || n*rec != uint64(len(body)) {
		return fmt.Errorf("cache holds %d-dim features, want %d", dim, c.dim)
	}
	for i := uint64(0); i < n; i++ {
		r := body[i*rec : (i+1)*rec]
		var k [32]byte
		copy(k[:], r[:32])
		v := make([]float32, dim)
		for j := range v {
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(r[32+4*j:]))
		}
		c.byKey[k] = v
		c.bytes += int64(4 * dim)
	}
	return nil
}

// Flush writes new entries to disk (atomically); a no-op in memory mode.
func (c *FeatureCache) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Dir == "" || !c.dirty {
		return nil
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("train: feature cache: %w", err)
	}
	err := graftfile.WriteAtomic(c.path(), func(w io.Writer) error {
		h := sha256.New()
		bw := bufio.NewWriter(io.MultiWriter(w, h))
		bw.WriteString(cacheMagic)
		var hdr [12]byte
		binary.LittleEndian.PutUint32(hdr[:], uint32(c.dim))
		binary.LittleEndian.PutUint64(hdr[4:], uint64(len(c.byKey)))
		bw.Write(hdr[:])
		var f [4]byte
		for k, v := range c.byKey {
			bw.Write(k[:])
			for _, x := range v {
				binary.LittleEndian.PutUint32(f[:], math.Float32bits(x))
				bw.Write(f[:])
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		_, err := w.Write(h.Sum(nil))
		return err
	})
	if err != nil {
		return fmt.Errorf("train: feature cache: %w", err)
	}
	c.dirty = false
	return nil
}

// get returns the cached features for an input key.
func (c *FeatureCache) get(k [32]byte) ([]float32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.byKey[k]
	if ok {
		c.hits++
	} else {
		c.misses++
	}
	return v, ok
}

// put stores features unless the size limit is reached.
func (c *FeatureCache) put(k [32]byte, v []float32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[k]; ok {
		return
	}
	if c.bytes+int64(4*len(v)) > c.limit() {
		c.full = true
		return
	}
	c.byKey[k] = v
	c.bytes += int64(4 * len(v))
	c.dirty = true
}
