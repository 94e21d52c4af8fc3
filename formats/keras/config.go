package keras

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// layerJSON is one entry of a model config's "layers" list.
type layerJSON struct {
	ClassName    string          `json:"class_name"`
	Name         string          `json:"name"`
	Config       json.RawMessage `json:"config"`
	InboundNodes json.RawMessage `json:"inbound_nodes"`
}

// modelJSON is a model config: {"class_name": ..., "config": ...}.
type modelJSON struct {
	ClassName string          `json:"class_name"`
	Config    json.RawMessage `json:"config"`
}

// containerJSON is the "config" of a Functional or Sequential model.
type containerJSON struct {
	Name         string          `json:"name"`
	Layers       []layerJSON     `json:"layers"`
	InputLayers  json.RawMessage `json:"input_layers"`
	OutputLayers json.RawMessage `json:"output_layers"`
}

// isModelClass reports whether a class name is a model used as a layer.
func isModelClass(class string) bool {
	switch class {
	case "Model", "Functional", "Sequential":
		return true
	}
	return false
}

// parseContainer decodes a model's config. Old Sequential configs are a bare
// list of layers.
func parseContainer(class string, raw json.RawMessage) (*containerJSON, error) {
	raw = bytes.TrimSpace(raw)
	c := &containerJSON{}
	if len(raw) > 0 && raw[0] == '[' {
		if class != "Sequential" {
			return nil, fmt.Errorf("%s config is a list; only Sequential configs may be", class)
		}
		if err := json.Unmarshal(raw, &c.Layers); err != nil {
			return nil, fmt.Errorf("Sequential layers: %w", err)
		}
		return c, nil
	}
	if err := json.Unmarshal(raw, c); err != nil {
		return nil, fmt.Errorf("%s config: %w", class, err)
	}
	return c, nil
}

// layerName returns the layer's name from the entry or from its config.
func (l *layerJSON) layerName() string {
	if l.Name != "" {
		return l.Name
	}
	var c struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(l.Config, &c) == nil {
		return c.Name
	}
	return ""
}

// ints is a JSON int or list of ints (kernel_size, strides, pool_size ...).
type ints []int

// UnmarshalJSON accepts a number or a list of numbers.
func (v *ints) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*v = nil
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		var fs []float64
		if err := json.Unmarshal(b, &fs); err != nil {
			return err
		}
		out := make([]int, len(fs))
		for i, f := range fs {
			n, err := wholeNumber(f)
			if err != nil {
				return err
			}
			out[i] = n
		}
		*v = out
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	n, err := wholeNumber(f)
	if err != nil {
		return err
	}
	*v = ints{n}
	return nil
}

// maxDim bounds every size read from a config, so that arithmetic on
// hostile values cannot overflow.
const maxDim = 1 << 24

func wholeNumber(f float64) (int, error) {
	if f != float64(int64(f)) || f < -maxDim || f > maxDim {
		return 0, fmt.Errorf("%g is not an integer in [-%d, %d]", f, maxDim, maxDim)
	}
	return int(f), nil
}

// pair returns a two-element value (an int repeats), or an error naming what.
func (v ints) pair(what string, def int) (int, int, error) {
	switch len(v) {
	case 0:
		return def, def, nil
	case 1:
		return v[0], v[0], nil
	case 2:
		return v[0], v[1], nil
	}
	return 0, 0, fmt.Errorf("%s %v: want one or two values", what, []int(v))
}

// floats is a JSON number or list of numbers (Rescaling's scale).
type floats []float64

// UnmarshalJSON accepts a number or a list of numbers.
func (v *floats) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*v = nil
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		var fs []float64
		if err := json.Unmarshal(b, &fs); err != nil {
			return err
		}
		*v = fs
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*v = floats{f}
	return nil
}

// activationName is an activation given as a string or, in Keras 3, as a
// serialised function object.
type activationName string

// UnmarshalJSON accepts "relu", null, or {"class_name": ..., "config": ...}.
func (a *activationName) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*a = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = activationName(s)
		return nil
	}
	var obj struct {
		ClassName string          `json:"class_name"`
		Config    json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("activation: %w", err)
	}
	if json.Unmarshal(obj.Config, &s) == nil && s != "" {
		*a = activationName(s)
		return nil
	}
	var named struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(obj.Config, &named) == nil && named.Name != "" {
		*a = activationName(named.Name)
		return nil
	}
	*a = activationName(obj.ClassName)
	return nil
}

// shapeJSON is a batch shape with nulls for unknown sizes.
type shapeJSON []*float64

// dims converts a shape to ints with -1 for unknown sizes.
func (s shapeJSON) dims() ([]int, error) {
	out := make([]int, len(s))
	for i, d := range s {
		if d == nil {
			out[i] = -1
			continue
		}
		n, err := wholeNumber(*d)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("shape %s: bad size", s)
		}
		out[i] = n
	}
	return out, nil
}

// String formats the shape with None for unknown sizes.
func (s shapeJSON) String() string {
	var b bytes.Buffer
	b.WriteByte('(')
	for i, d := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		if d == nil {
			b.WriteString("None")
		} else {
			fmt.Fprintf(&b, "%g", *d)
		}
	}
	b.WriteByte(')')
	return b.String()
}
