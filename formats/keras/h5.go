package keras

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/graft-ml/graft/formats/hdf5"
)

// LoadH5 loads a whole Keras model saved as HDF5 (model.save("m.h5")): the
// config from the root's "model_config" attribute and the weights from the
// "model_weights" group.
func LoadH5(path string) (*Model, error) {
	f, err := hdf5.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keras h5: %w", err)
	}
	defer f.Close()
	m, err := loadH5(f, path)
	if err != nil {
		return nil, fmt.Errorf("keras h5: %w", err)
	}
	return m, nil
}

func loadH5(f *hdf5.File, name string) (*Model, error) {
	root, err := f.Root()
	if err != nil {
		return nil, err
	}
	cfg, err := stringAttr(root, "model_config")
	if err != nil {
		return nil, fmt.Errorf("%s: no model config (a weights-only file? use LoadWeightsH5 with a config): %w", name, err)
	}
	version, _ := stringAttr(root, "keras_version")
	m, err := fromConfig([]byte(cfg), version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m.Format = "h5"
	wg, err := root.Group("model_weights")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	src, err := newH5Source(wg, name)
	if err != nil {
		return nil, err
	}
	if err := m.loadWeights(src); err != nil {
		return nil, err
	}
	return m, nil
}

// LoadWeightsH5 loads weights into m (built from a config) from an HDF5
// weights file: Keras 2's save_weights layout (layer_names and
// weight_names attributes), a whole-model file's model_weights group, or
// Keras 3's .weights.h5 layout (layers/<name>/vars/<i>).
func LoadWeightsH5(m *Model, path string) error {
	f, err := hdf5.Open(path)
	if err != nil {
		return fmt.Errorf("keras h5: %w", err)
	}
	defer f.Close()
	if err := loadWeightsH5(m, f, path); err != nil {
		return fmt.Errorf("keras h5: %w", err)
	}
	return nil
}

// LoadWeightsH5Reader is LoadWeightsH5 reading from r; name labels errors.
func LoadWeightsH5Reader(m *Model, r io.ReaderAt, size int64, name string) error {
	f, err := hdf5.OpenReader(r, size)
	if err != nil {
		return fmt.Errorf("keras h5: %s: %w", name, err)
	}
	if err := loadWeightsH5(m, f, name); err != nil {
		return fmt.Errorf("keras h5: %w", err)
	}
	return nil
}

func loadWeightsH5(m *Model, f *hdf5.File, name string) error {
	root, err := f.Root()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var src weightSource
	members, err := root.Members()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case slices.Contains(members, "model_weights"):
		wg, err := root.Group("model_weights")
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		src, err = newH5Source(wg, name)
		if err != nil {
			return err
		}
	case hasAttr(root, "layer_names"):
		src, err = newH5Source(root, name)
		if err != nil {
			return err
		}
	case slices.Contains(members, "layers") || slices.Contains(members, "_layer_checkpoint_dependencies"):
		src = &keras3Source{root: root, name: name}
	default:
		return fmt.Errorf("%s: neither Keras 2 (layer_names) nor Keras 3 (layers/...) weights", name)
	}
	return m.loadWeights(src)
}

func hasAttr(o hdf5.Object, name string) bool {
	names, err := o.AttrNames()
	return err == nil && slices.Contains(names, name)
}

// stringAttr reads a string attribute.
func stringAttr(o hdf5.Object, name string) (string, error) {
	a, err := o.Attr(name)
	if err != nil {
		return "", err
	}
	return a.StringValue()
}

// stringsAttr reads a string-list attribute; an empty numeric list (what
// Keras writes for a layer without weights) reads as no strings.
func stringsAttr(o hdf5.Object, name string) ([]string, error) {
	a, err := o.Attr(name)
	if err != nil {
		return nil, err
	}
	s, err := a.Strings()
	if err != nil {
		if len(a.Shape()) == 1 && a.Shape()[0] == 0 {
			return nil, nil
		}
		return nil, err
	}
	return s, nil
}

// h5Source reads Keras 2's layout: a group per layer named in the
// "layer_names" attribute, whose "weight_names" attribute lists its datasets
// in Keras's order.
type h5Source struct {
	group  *hdf5.Group
	name   string
	layers map[string]bool
}

func newH5Source(g *hdf5.Group, name string) (*h5Source, error) {
	names, err := stringsAttr(g, "layer_names")
	if err != nil {
		return nil, fmt.Errorf("%s: %s: layer_names: %w", name, g.Path(), err)
	}
	s := &h5Source{group: g, name: name, layers: map[string]bool{}}
	for _, n := range names {
		s.layers[n] = true
	}
	return s, nil
}

func (s *h5Source) fileName() string { return s.name }

func (s *h5Source) layerWeights(path []string) ([]rawWeight, bool, error) {
	top := path[0]
	if !s.layers[top] {
		// A nested model's layers may also be listed on their own.
		top = path[len(path)-1]
		if !s.layers[top] {
			return nil, false, nil
		}
		path = path[len(path)-1:]
	}
	lg, err := s.group.Group(top)
	if err != nil {
		return nil, false, err
	}
	names, err := stringsAttr(lg, "weight_names")
	if err != nil {
		return nil, false, fmt.Errorf("weight_names: %w", err)
	}
	if len(path) > 1 {
		inner := path[len(path)-1]
		var kept []string
		for _, n := range names {
			if layerOfWeight(n) == inner {
				kept = append(kept, n)
			}
		}
		names = kept
	}
	var ws []rawWeight
	for _, n := range names {
		w, err := readH5Weight(lg, n)
		if err != nil {
			return nil, true, err
		}
		ws = append(ws, w)
	}
	return ws, len(ws) > 0, nil
}

// readH5Weight reads the dataset at a path relative to g.
func readH5Weight(g *hdf5.Group, path string) (rawWeight, error) {
	ds, err := g.Dataset(path)
	if err != nil {
		return rawWeight{}, fmt.Errorf("weight %q: %w", path, err)
	}
	data, err := ds.ReadFloat32()
	if err != nil {
		return rawWeight{}, fmt.Errorf("weight %q: %w", path, err)
	}
	return rawWeight{name: path, shape: ds.Shape(), data: data}, nil
}

// keras3Source reads Keras 3's layout: layers/<name>/vars/<i>, with nested
// models' layers under layers/<model>/layers/<name>.
type keras3Source struct {
	root *hdf5.Group
	name string
}

func (s *keras3Source) fileName() string { return s.name }

func (s *keras3Source) layerWeights(path []string) ([]rawWeight, bool, error) {
	var vars *hdf5.Group
	for _, top := range []string{"layers", "_layer_checkpoint_dependencies"} {
		parts := []string{top}
		for i, p := range path {
			if i > 0 {
				parts = append(parts, "layers")
			}
			parts = append(parts, p)
		}
		g, err := s.root.Group(strings.Join(append(parts, "vars"), "/"))
		if err == nil {
			vars = g
			break
		}
		if !hdf5.IsNotFound(err) {
			return nil, false, err
		}
	}
	if vars == nil {
		return nil, false, nil
	}
	members, err := vars.Members()
	if err != nil {
		return nil, false, err
	}
	idx := make([]int, 0, len(members))
	for _, mname := range members {
		i, err := strconv.Atoi(mname)
		if err != nil || i < 0 {
			return nil, false, fmt.Errorf("%s: member %q is not a variable index", vars.Path(), mname)
		}
		idx = append(idx, i)
	}
	slices.Sort(idx)
	ws := make([]rawWeight, 0, len(idx))
	for k, i := range idx {
		if i != k {
			return nil, false, fmt.Errorf("%s: variable %d is missing", vars.Path(), k)
		}
		w, err := readH5Weight(vars, strconv.Itoa(i))
		if err != nil {
			return nil, true, err
		}
		ws = append(ws, w)
	}
	return ws, len(ws) > 0, nil
}

// openH5 opens an HDF5 file held in memory.
func openH5(data []byte, name string) (*hdf5.File, error) {
	f, err := hdf5.OpenReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}
