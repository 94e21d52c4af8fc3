package keras

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"github.com/graft-ml/graft/formats/internal/half"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// tfjsModel is a TF.js layers model.json.
type tfjsModel struct {
	Format          string          `json:"format"`
	ModelTopology   json.RawMessage `json:"modelTopology"`
	WeightsManifest []tfjsGroup     `json:"weightsManifest"`
}

// tfjsGroup is one weights-manifest group: shards holding weights back to back.
type tfjsGroup struct {
	Paths   []string     `json:"paths"`
	Weights []tfjsWeight `json:"weights"`
}

// tfjsWeight is one weights-manifest entry.
type tfjsWeight struct {
	Name         string            `json:"name"`
	Shape        []int             `json:"shape"`
	Dtype        string            `json:"dtype"`
	Quantization *tfjsQuantization `json:"quantization"`
}

// tfjsQuantization describes a quantised weight: value = min + scale*q
// ("offset" is read as another name for min).
type tfjsQuantization struct {
	Dtype  string   `json:"dtype"`
	Scale  *float64 `json:"scale"`
	Min    *float64 `json:"min"`
	Offset *float64 `json:"offset"`
}

// maxShardBytes bounds one weight group's total size.
const maxShardBytes = 1 << 32

// LoadTFJS loads a TF.js layers model: name is the model.json inside fsys,
// and the shards the manifest lists are read relative to it.
func LoadTFJS(fsys fs.FS, name string) (*Model, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("tfjs: %w", err)
	}
	m, err := parseTFJS(data, name, func(p string) ([]byte, error) { return fs.ReadFile(fsys, p) })
	if err != nil {
		return nil, fmt.Errorf("tfjs: %w", err)
	}
	return m, nil
}

// LoadTFJSFile loads a TF.js layers model from a model.json path (or the
// directory holding it).
func LoadTFJSFile(p string) (*Model, error) {
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		p = filepath.Join(p, "model.json")
	}
	dir, base := filepath.Split(p)
	if dir == "" {
		dir = "."
	}
	return LoadTFJS(os.DirFS(dir), base)
}

// ParseTFJS builds a model from model.json bytes, reading shards with
// readShard (called with the paths the manifest lists, resolved against
// name's directory). name labels errors.
func ParseTFJS(modelJSON []byte, name string, readShard func(path string) ([]byte, error)) (*Model, error) {
	m, err := parseTFJS(modelJSON, name, readShard)
	if err != nil {
		return nil, fmt.Errorf("tfjs: %w", err)
	}
	return m, nil
}

func parseTFJS(data []byte, name string, readShard func(string) ([]byte, error)) (*Model, error) {
	var tm tfjsModel
	if err := json.Unmarshal(data, &tm); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if tm.Format == "graph-model" {
		return nil, fmt.Errorf("%s: a TF.js graph model; only layers models are supported", name)
	}
	if len(bytes.TrimSpace(tm.ModelTopology)) == 0 {
		return nil, fmt.Errorf("%s: no modelTopology", name)
	}
	var topo struct {
		KerasVersion string          `json:"keras_version"`
		ModelConfig  json.RawMessage `json:"model_config"`
	}
	if err := json.Unmarshal(tm.ModelTopology, &topo); err != nil {
		return nil, fmt.Errorf("%s: modelTopology: %w", name, err)
	}
	config := topo.ModelConfig
	if len(config) == 0 {
		config = tm.ModelTopology
	}
	m, err := fromConfig(config, topo.KerasVersion)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// TF.js implements Keras 2 semantics (hard_sigmoid = 0.2x+0.5) whatever
	// version the topology records.
	m.Format = "tfjs"
	src, err := readTFJSWeights(tm.WeightsManifest, name, readShard)
	if err != nil {
		return nil, err
	}
	if err := m.loadWeights(src); err != nil {
		return nil, err
	}
	return m, nil
}

// tfjsWeights holds every weight of a manifest by its layer's name.
type tfjsWeights struct {
	name    string
	byLayer map[string][]rawWeight
}

func (t *tfjsWeights) fileName() string { return t.name }

// layerWeights finds the weights named "<layer>/<weight>" (with or without
// enclosing scopes).
func (t *tfjsWeights) layerWeights(p []string) ([]rawWeight, bool, error) {
	ws, ok := t.byLayer[p[len(p)-1]]
	return ws, ok, nil
}

// layerOfWeight returns the layer part of a weight name: the component
// before the short name.
func layerOfWeight(name string) string {
	parts := strings.Split(name, "/")
	if len(parts) < 2 {
		return ""
	}
	return parts[len(parts)-2]
}

func readTFJSWeights(groups []tfjsGroup, name string, readShard func(string) ([]byte, error)) (*tfjsWeights, error) {
	dir := path.Dir(filepath.ToSlash(name))
	t := &tfjsWeights{name: name, byLayer: map[string][]rawWeight{}}
	for gi, g := range groups {
		var buf []byte
		for _, p := range g.Paths {
			sp := p
			if !path.IsAbs(sp) && dir != "." {
				sp = path.Join(dir, sp)
			}
			b, err := readShard(sp)
			if err != nil {
				return nil, fmt.Errorf("%s: weights group %d: shard %q: %w", name, gi+1, p, err)
			}
			if int64(len(buf))+int64(len(b)) > maxShardBytes {
				return nil, fmt.Errorf("%s: weights group %d: shards exceed %d bytes", name, gi+1, int64(maxShardBytes))
			}
			buf = append(buf, b...)
		}
		off := 0
		for _, w := range g.Weights {
			vals, n, err := decodeTFJSWeight(w, buf[off:])
			if err != nil {
				return nil, fmt.Errorf("%s: weights group %d (%s): weight %q: %w", name, gi+1, strings.Join(g.Paths, ", "), w.Name, err)
			}
			off += n
			layer := layerOfWeight(w.Name)
			t.byLayer[layer] = append(t.byLayer[layer], rawWeight{name: w.Name, shape: w.Shape, data: vals})
		}
		if off != len(buf) {
			return nil, fmt.Errorf("%s: weights group %d (%s): %d bytes left after the last weight", name, gi+1, strings.Join(g.Paths, ", "), len(buf)-off)
		}
	}
	return t, nil
}

// decodeTFJSWeight decodes one weight from the front of buf and returns its
// values and the bytes it used.
func decodeTFJSWeight(w tfjsWeight, buf []byte) ([]float32, int, error) {
	n := 1
	for _, d := range w.Shape {
		if d < 0 || d > maxDim {
			return nil, 0, fmt.Errorf("shape %v: bad size", w.Shape)
		}
		n *= d
		if n > maxShardBytes {
			return nil, 0, fmt.Errorf("shape %v: too many values", w.Shape)
		}
	}
	if w.Dtype != "float32" && w.Dtype != "int32" && w.Dtype != "" {
		return nil, 0, fmt.Errorf("dtype %q: only float32 and int32 weights are supported", w.Dtype)
	}
	need := func(size int) error {
		if n*size > len(buf) {
			return fmt.Errorf("shape %v needs %d bytes, the shards hold %d more (truncated shard?)", w.Shape, n*size, len(buf))
		}
		return nil
	}
	q := w.Quantization
	size := 4
	if q != nil && (q.Dtype == "uint8") {
		size = 1
	} else if q != nil && (q.Dtype == "uint16" || q.Dtype == "float16") {
		size = 2
	}
	if err := need(size); err != nil {
		return nil, 0, err
	}
	out := make([]float32, n)
	if q == nil {
		for i := range out {
			bits := binary.LittleEndian.Uint32(buf[4*i:])
			if w.Dtype == "int32" {
				out[i] = float32(int32(bits))
			} else {
				out[i] = math.Float32frombits(bits)
			}
		}
		return out, 4 * n, nil
	}
	switch q.Dtype {
	case "uint8", "uint16":
		size := 1
		if q.Dtype == "uint16" {
			size = 2
		}
		lo := q.Min
		if lo == nil {
			lo = q.Offset
		}
		if q.Scale == nil || lo == nil {
			return nil, 0, fmt.Errorf("%s quantisation without scale and min", q.Dtype)
		}
		if err := need(size); err != nil {
			return nil, 0, err
		}
		scale, mn := *q.Scale, *lo
		for i := range out {
			var v float64
			if size == 1 {
				v = float64(buf[i])
			} else {
				v = float64(binary.LittleEndian.Uint16(buf[2*i:]))
			}
			f := v*scale + mn
			if w.Dtype == "int32" {
				f = math.Round(f)
			}
			out[i] = float32(f)
		}
		return out, size * n, nil
	case "float16":
		if w.Dtype == "int32" {
			return nil, 0, fmt.Errorf("float16 quantisation of an int32 weight")
		}
		if err := need(2); err != nil {
			return nil, 0, err
		}
		for i := range out {
			out[i] = half.ToFloat32(binary.LittleEndian.Uint16(buf[2*i:]))
		}
		return out, 2 * n, nil
	}
	return nil, 0, fmt.Errorf("quantisation dtype %q: want uint8, uint16 or float16", q.Dtype)
}
