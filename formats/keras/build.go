package keras

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/graft-ml/graft/nn"
)

// value is a tensor of the graph being built: the node computing it and its
// shape per example (-1 for an open size).
type value struct {
	node  string
	shape []int
}

// builder turns a Keras config into an nn.Graph.
type builder struct {
	g        *nn.Graph
	m        *Model
	reserved map[string]bool // every Keras layer name, nested ones included
	used     map[string]bool // graph node names taken
	depth    int
	weights  int64 // weight values allocated so far
}

// maxModelDepth bounds the nesting of models inside models.
const maxModelDepth = 16

// FromConfig builds a model from a Keras model config (the JSON Keras's
// to_json writes, or the "model_config" of a file) with zero weights.
// kerasVersion ("2.1.6", "3.3.3", or "" when unknown) selects the few
// behaviours that changed between Keras 2 and 3.
func FromConfig(config []byte, kerasVersion string) (*Model, error) {
	m, err := fromConfig(config, kerasVersion)
	if err != nil {
		return nil, fmt.Errorf("keras config: %w", err)
	}
	m.Format = "config"
	return m, nil
}

func fromConfig(config []byte, kerasVersion string) (*Model, error) {
	var top modelJSON
	if err := json.Unmarshal(config, &top); err != nil {
		return nil, fmt.Errorf("model config: %w", err)
	}
	// A file's "model_config" is sometimes wrapped once more.
	if top.ClassName == "" {
		var wrapped struct {
			ModelConfig *modelJSON `json:"model_config"`
		}
		if json.Unmarshal(config, &wrapped) == nil && wrapped.ModelConfig != nil {
			top = *wrapped.ModelConfig
		}
	}
	if !isModelClass(top.ClassName) {
		return nil, fmt.Errorf("model config: class %q is not a Functional, Model or Sequential model", top.ClassName)
	}
	m := &Model{KerasVersion: kerasVersion, Classes: -1, version: 2}
	if strings.HasPrefix(kerasVersion, "3") {
		m.version = 3
	}
	b := &builder{g: nn.NewGraph(), m: m, reserved: map[string]bool{}, used: map[string]bool{}}
	if err := b.reserve(top.ClassName, top.Config, 0); err != nil {
		return nil, err
	}
	outs, err := b.container(top.ClassName, top.Config, nil, nil)
	if err != nil {
		return nil, err
	}
	if len(outs) != 1 {
		return nil, fmt.Errorf("model has %d outputs; only single-output models are supported", len(outs))
	}
	if len(b.g.Inputs()) != 1 {
		return nil, fmt.Errorf("model has %d inputs; only single-input models are supported", len(b.g.Inputs()))
	}
	if err := b.g.SetOutputs(outs[0].node); err != nil {
		return nil, err
	}
	m.Graph = b.g
	m.InputName = b.g.Inputs()[0]
	m.OutputName = outs[0].node
	m.OutputShape = outs[0].shape
	if len(m.OutputShape) > 0 {
		m.Classes = m.OutputShape[len(m.OutputShape)-1]
	}
	return m, nil
}

// reserve records every layer name so generated node names avoid them.
func (b *builder) reserve(class string, raw json.RawMessage, depth int) error {
	if depth > maxModelDepth {
		return fmt.Errorf("models nested deeper than %d", maxModelDepth)
	}
	c, err := parseContainer(class, raw)
	if err != nil {
		return err
	}
	for i := range c.Layers {
		l := &c.Layers[i]
		b.reserved[sanitize(l.layerName())] = true
		if isModelClass(l.ClassName) {
			if err := b.reserve(l.ClassName, l.Config, depth+1); err != nil {
				return fmt.Errorf("%s: %w", l.layerName(), err)
			}
		}
	}
	return nil
}

// sanitize makes a Keras name usable as a graph node name.
func sanitize(name string) string {
	if name == "" {
		return "layer"
	}
	return strings.ReplaceAll(name, "/", "_")
}

// nodeName returns a free graph node name for a Keras layer at path.
func (b *builder) nodeName(path []string) string {
	name := sanitize(path[len(path)-1])
	if !b.used[name] {
		b.used[name] = true
		return name
	}
	return b.freshName(sanitize(strings.Join(path, ".")))
}

// freshName returns base, or base with a numeric suffix, unused by any node.
func (b *builder) freshName(base string) string {
	name := base
	for i := 1; b.used[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	b.used[name] = true
	return name
}

// auxName returns a node name for an extra node of a layer (a fused
// activation), never one a Keras layer is called.
func (b *builder) auxName(node, suffix string) string {
	base := node + "_" + suffix
	name := base
	for i := 1; b.used[name] || b.reserved[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	b.used[name] = true
	return name
}

// container builds a Functional or Sequential model called on inputs (nil
// for the top-level model) and returns its outputs.
func (b *builder) container(class string, raw json.RawMessage, path []string, inputs []value) ([]value, error) {
	if b.depth > maxModelDepth {
		return nil, fmt.Errorf("models nested deeper than %d", maxModelDepth)
	}
	b.depth++
	defer func() { b.depth-- }()
	c, err := parseContainer(class, raw)
	if err != nil {
		return nil, err
	}
	if path == nil && b.m.Name == "" {
		b.m.Name = c.Name
	}
	if class == "Sequential" {
		return b.sequential(c, path, inputs)
	}
	return b.functional(c, path, inputs)
}

// inputShape reads an input's batch shape from a layer config
// (batch_input_shape in Keras 2, batch_shape in Keras 3).
func inputShape(raw json.RawMessage) ([]int, bool, error) {
	var c struct {
		BatchInputShape shapeJSON `json:"batch_input_shape"`
		BatchShape      shapeJSON `json:"batch_shape"`
		InputShape      shapeJSON `json:"input_shape"`
		DataFormat      string    `json:"data_format"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, false, err
	}
	s := c.BatchInputShape
	if s == nil {
		s = c.BatchShape
	}
	if s == nil && c.InputShape != nil {
		s = append(shapeJSON{nil}, c.InputShape...)
	}
	if s == nil {
		return nil, false, nil
	}
	if len(s) < 2 {
		return nil, false, fmt.Errorf("input shape %s has no per-example axes", s)
	}
	d, err := s.dims()
	if err != nil {
		return nil, false, err
	}
	return d[1:], true, nil
}

// addInput adds the graph's input placeholder.
func (b *builder) addInput(path []string, shape []int) (value, error) {
	if len(b.g.Inputs()) > 0 {
		return value{}, fmt.Errorf("%s: a second model input; only single-input models are supported", strings.Join(path, "/"))
	}
	name := b.nodeName(path)
	if err := b.g.Input(name); err != nil {
		return value{}, err
	}
	b.m.InputShape = slices.Clone(shape)
	return value{node: name, shape: slices.Clone(shape)}, nil
}

// sequential builds a Sequential model: each layer on the previous output.
func (b *builder) sequential(c *containerJSON, path []string, inputs []value) ([]value, error) {
	if len(c.Layers) == 0 {
		return nil, fmt.Errorf("Sequential model %q has no layers", c.Name)
	}
	var cur value
	start := 0
	switch {
	case inputs != nil:
		if len(inputs) != 1 {
			return nil, fmt.Errorf("Sequential model %q called on %d inputs", c.Name, len(inputs))
		}
		cur = inputs[0]
		if c.Layers[0].ClassName == "InputLayer" {
			b.info(append(slices.Clone(path), c.Layers[0].layerName()), "InputLayer", nil, cur.shape, nil, true)
			start = 1
		}
	case c.Layers[0].ClassName == "InputLayer":
		first := &c.Layers[0]
		shape, ok, err := inputShape(first.Config)
		if err != nil || !ok {
			return nil, fmt.Errorf("InputLayer %q: no usable batch shape (%v)", first.layerName(), err)
		}
		lp := append(slices.Clone(path), first.layerName())
		if cur, err = b.addInput(lp, shape); err != nil {
			return nil, err
		}
		b.info(lp, "InputLayer", nil, shape, nil, true)
		start = 1
	default:
		first := &c.Layers[0]
		shape, ok, err := inputShape(first.Config)
		if err != nil || !ok {
			return nil, fmt.Errorf("Sequential model %q: first layer %q has no batch_input_shape (%v)", c.Name, first.layerName(), err)
		}
		name := first.layerName() + "_input"
		b.reserved[name] = true
		lp := append(slices.Clone(path), name)
		if cur, err = b.addInput(lp, shape); err != nil {
			return nil, err
		}
		b.info(lp, "InputLayer", nil, shape, nil, true)
	}
	for i := start; i < len(c.Layers); i++ {
		l := &c.Layers[i]
		outs, err := b.apply(l, path, []value{cur})
		if err != nil {
			return nil, err
		}
		if len(outs) != 1 {
			return nil, fmt.Errorf("layer %q in Sequential model %q has %d outputs", l.layerName(), c.Name, len(outs))
		}
		cur = outs[0]
	}
	return []value{cur}, nil
}

// pendingCall is one call of a layer in a Functional model.
type pendingCall struct {
	layer *layerJSON
	node  int
	ins   []tensorRef
}

// functional builds a Functional model, calling each layer once its inputs
// exist.
func (b *builder) functional(c *containerJSON, path []string, inputs []value) ([]value, error) {
	ins, err := parseEndpoints(c.InputLayers)
	if err != nil {
		return nil, fmt.Errorf("model %q input_layers: %w", c.Name, err)
	}
	outs, err := parseEndpoints(c.OutputLayers)
	if err != nil {
		return nil, fmt.Errorf("model %q output_layers: %w", c.Name, err)
	}
	if len(outs) == 0 {
		return nil, fmt.Errorf("model %q has no output_layers", c.Name)
	}
	if inputs != nil && len(inputs) != len(ins) {
		return nil, fmt.Errorf("model %q has %d inputs but is called on %d", c.Name, len(ins), len(inputs))
	}
	tensors := map[tensorRef]value{}
	var pending []pendingCall
	seen := map[string]bool{}
	for i := range c.Layers {
		l := &c.Layers[i]
		name := l.layerName()
		if seen[name] {
			return nil, fmt.Errorf("model %q: two layers named %q", c.Name, name)
		}
		seen[name] = true
		lp := append(slices.Clone(path), name)
		if l.ClassName == "InputLayer" {
			v, err := b.functionalInput(l, lp, ins, inputs)
			if err != nil {
				return nil, err
			}
			tensors[tensorRef{Layer: name}] = v
			continue
		}
		calls, err := parseInbound(l.InboundNodes)
		if err != nil {
			return nil, fmt.Errorf("layer %q: %w", strings.Join(lp, "/"), err)
		}
		if len(calls) > 1 {
			return nil, fmt.Errorf("layer %q (%s) is called %d times; shared layers are not supported", strings.Join(lp, "/"), l.ClassName, len(calls))
		}
		for k, refs := range calls {
			pending = append(pending, pendingCall{layer: l, node: k, ins: refs})
		}
	}
	for len(pending) > 0 {
		progress := false
		rest := pending[:0]
		for _, p := range pending {
			vals, ok := resolve(tensors, p.ins)
			if !ok {
				rest = append(rest, p)
				continue
			}
			progress = true
			res, err := b.apply(p.layer, path, vals)
			if err != nil {
				return nil, err
			}
			for t, v := range res {
				tensors[tensorRef{Layer: p.layer.layerName(), Node: p.node, Tensor: t}] = v
			}
		}
		pending = rest
		if !progress {
			p := pending[0]
			return nil, fmt.Errorf("model %q: layer %q: inputs %v are never computed", c.Name, p.layer.layerName(), p.ins)
		}
	}
	res, ok := resolve(tensors, outs)
	if !ok {
		return nil, fmt.Errorf("model %q: outputs %v are never computed", c.Name, outs)
	}
	return res, nil
}

// functionalInput handles an InputLayer: the graph input at the top level,
// or the tensor a nested model is called on.
func (b *builder) functionalInput(l *layerJSON, lp []string, ins []tensorRef, inputs []value) (value, error) {
	name := l.layerName()
	if inputs == nil {
		shape, ok, err := inputShape(l.Config)
		if err != nil || !ok {
			return value{}, fmt.Errorf("InputLayer %q: no usable batch shape (%v)", strings.Join(lp, "/"), err)
		}
		v, err := b.addInput(lp, shape)
		if err != nil {
			return value{}, err
		}
		b.info(lp, "InputLayer", nil, shape, nil, true)
		return v, nil
	}
	for k, r := range ins {
		if r.Layer == name {
			b.info(lp, "InputLayer", nil, inputs[k].shape, nil, true)
			return inputs[k], nil
		}
	}
	return value{}, fmt.Errorf("InputLayer %q is not among the model's input_layers", strings.Join(lp, "/"))
}

// resolve looks up refs; ok is false while any is missing.
func resolve(tensors map[tensorRef]value, refs []tensorRef) ([]value, bool) {
	vals := make([]value, len(refs))
	for i, r := range refs {
		v, ok := tensors[r]
		if !ok {
			// An InputLayer has one tensor, whatever index refers to it.
			if v, ok = tensors[tensorRef{Layer: r.Layer}]; !ok || r.Tensor != 0 {
				return nil, false
			}
		}
		vals[i] = v
	}
	return vals, true
}

// apply calls one layer (or nested model) on its inputs.
func (b *builder) apply(l *layerJSON, path []string, ins []value) ([]value, error) {
	lp := append(slices.Clone(path), l.layerName())
	if isModelClass(l.ClassName) {
		outs, err := b.container(l.ClassName, l.Config, lp, ins)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.layerName(), err)
		}
		return outs, nil
	}
	cfg := bytes.TrimSpace(l.Config)
	if len(cfg) == 0 || cfg[0] != '{' {
		return nil, fmt.Errorf("layer %q (%s): config is not an object", strings.Join(lp, "/"), l.ClassName)
	}
	v, err := b.convert(l.ClassName, cfg, lp, ins)
	if err != nil {
		return nil, fmt.Errorf("layer %q (%s): %w", strings.Join(lp, "/"), l.ClassName, err)
	}
	return []value{v}, nil
}

// info records a layer for Model.Layers.
func (b *builder) info(lp []string, class string, nodes []string, shape []int, slots []slot, trainable bool) {
	n := 0
	for _, s := range slots {
		n += s.param.Value.Size()
	}
	b.m.Layers = append(b.m.Layers, LayerInfo{Name: strings.Join(lp, "/"), Class: class, Nodes: nodes,
		OutputShape: slices.Clone(shape), Params: n, Trainable: trainable})
}
