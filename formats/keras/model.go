package keras

import (
	"fmt"
	"strings"

	"github.com/graft-ml/graft/nn"
)

// Model is a Keras model imported as a Graft graph.
type Model struct {
	// Name is the model's Keras name.
	Name string
	// Format is where the model came from: "tfjs", "h5", "keras" or
	// "config" (a config without weights).
	Format string
	// KerasVersion is the version the file records, if any.
	KerasVersion string
	// Graph runs the model; its one input is InputName and its one output
	// OutputName.
	Graph      *nn.Graph
	InputName  string
	OutputName string
	// InputShape and OutputShape are per example (no batch axis), -1 where
	// the config leaves a size open.
	InputShape, OutputShape []int
	// Classes is the size of the output's last axis (-1 if open).
	Classes int
	// Layers lists the Keras layers in the order they were built.
	Layers []LayerInfo

	layers  []*kerasLayer
	loaded  bool
	version int // Keras major version the config follows
}

// LayerInfo describes one Keras layer of a Model, for inspection.
type LayerInfo struct {
	// Name is the Keras name; layers of nested models are "outer/inner".
	Name string
	// Class is the Keras class name, such as "Conv2D".
	Class string
	// Nodes are the graph nodes the layer became (empty for InputLayer
	// and no-op layers).
	Nodes []string
	// OutputShape is the layer's output shape per example.
	OutputShape []int
	// Params counts the layer's weights (learned and statistics).
	Params int
	// Trainable is the config's "trainable" flag.
	Trainable bool
}

// kerasLayer is a built layer with weights to load.
type kerasLayer struct {
	path  []string // enclosing model names, then the layer's name
	class string
	slots []slot
	// finish, when set, runs after the weights are loaded.
	finish func() error
}

// name returns the layer's path joined with "/".
func (k *kerasLayer) name() string { return strings.Join(k.path, "/") }

// slot is one weight of a Keras layer, in Keras's order.
type slot struct {
	name  string // Keras's short name: "kernel", "gamma", ...
	param *nn.Param
}

// Summary returns a table of the model's layers, one per line.
func (m *Model) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "model %q (%s", m.Name, m.Format)
	if m.KerasVersion != "" {
		fmt.Fprintf(&b, ", Keras %s", m.KerasVersion)
	}
	fmt.Fprintf(&b, "): input %v, output %v\n", m.InputShape, m.OutputShape)
	total := 0
	for _, l := range m.Layers {
		fmt.Fprintf(&b, "%-40s %-24s %-18s %d\n", l.Name, l.Class, fmt.Sprint(l.OutputShape), l.Params)
		total += l.Params
	}
	fmt.Fprintf(&b, "%d layers, %d weights\n", len(m.Layers), total)
	return b.String()
}
