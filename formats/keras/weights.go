package keras

import (
	"fmt"
	"strings"

	"github.com/graft-ml/graft/tensor"
)

// rawWeight is one weight read from a file.
type rawWeight struct {
	name  string // as the file names it
	shape []int
	data  []float32
}

// weightSource finds each layer's weights in a file.
type weightSource interface {
	// fileName names the file in error messages.
	fileName() string
	// layerWeights returns the weights of the layer at path (enclosing
	// model names, then the layer's name) in Keras's order; found is false
	// when the file has none for it.
	layerWeights(path []string) (ws []rawWeight, found bool, err error)
}

// loadWeights fills every layer's weights from src.
func (m *Model) loadWeights(src weightSource) error {
	for _, kl := range m.layers {
		if err := kl.load(src); err != nil {
			return err
		}
	}
	m.loaded = true
	return nil
}

func (kl *kerasLayer) load(src weightSource) error {
	errorf := func(format string, args ...any) error {
		return fmt.Errorf("%s: layer %q (%s): %s", src.fileName(), kl.name(), kl.class, fmt.Sprintf(format, args...))
	}
	if len(kl.slots) > 0 {
		ws, found, err := src.layerWeights(kl.path)
		if err != nil {
			return fmt.Errorf("%s: layer %q (%s): %w", src.fileName(), kl.name(), kl.class, err)
		}
		want := make([]string, len(kl.slots))
		for i, s := range kl.slots {
			want[i] = s.name
		}
		if !found || len(ws) == 0 {
			return errorf("no weights in the file (want %s)", strings.Join(want, ", "))
		}
		if len(ws) != len(kl.slots) {
			got := make([]string, len(ws))
			for i, w := range ws {
				got[i] = w.name
			}
			return errorf("the file has %d weights (%s), the layer has %d (%s)", len(ws), strings.Join(got, ", "), len(kl.slots), strings.Join(want, ", "))
		}
		order := matchByName(ws, kl.slots)
		for i, s := range kl.slots {
			w := ws[order[i]]
			if !sameElements(w.shape, s.param.Value.Shape) {
				return errorf("weight %q: the file's shape %v does not match the layer's %v", s.name, w.shape, s.param.Value.Shape)
			}
			if len(w.data) != s.param.Value.Size() {
				return errorf("weight %q: %d values for shape %v", s.name, len(w.data), s.param.Value.Shape)
			}
			if i := firstNonFinite(w.data); i >= 0 {
				return errorf("weight %q: value %g at index %d", s.name, w.data[i], i)
			}
			copy(s.param.Value.Data, w.data)
		}
	}
	if kl.finish != nil {
		if err := kl.finish(); err != nil {
			return errorf("%v", err)
		}
	}
	return nil
}

// shortName strips a weight name to Keras's short name: "conv/kernel:0"
// becomes "kernel".
func shortName(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	return name
}

// matchByName returns, for each slot, the index of its weight: by short name
// when every weight's name matches a different slot, else by position.
func matchByName(ws []rawWeight, slots []slot) []int {
	order := make([]int, len(slots))
	byName := map[string]int{}
	for i, w := range ws {
		byName[shortName(w.name)] = i
	}
	taken := map[int]bool{}
	for i, s := range slots {
		j, ok := byName[s.name]
		if !ok || taken[j] {
			for k := range order {
				order[k] = k
			}
			return order
		}
		taken[j] = true
		order[i] = j
	}
	return order
}

// sameElements reports whether two shapes agree once axes of size 1 are
// dropped (Keras stores some statistics as [1, 1, 1, C] or [C]).
func sameElements(a, b []int) bool {
	if tensor.EqualShapes(a, b) {
		return true
	}
	sq := func(s []int) []int {
		var out []int
		for _, d := range s {
			if d != 1 {
				out = append(out, d)
			}
		}
		return out
	}
	return tensor.Numel(a) == tensor.Numel(b) && tensor.EqualShapes(sq(a), sq(b))
}

func firstNonFinite(v []float32) int {
	for i, f := range v {
		if f-f != 0 {
			return i
		}
	}
	return -1
}
