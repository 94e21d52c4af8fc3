package keras

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// tensorRef names a tensor of a Keras graph: output Tensor of call Node of
// layer Layer.
type tensorRef struct {
	Layer        string
	Node, Tensor int
}

func (r tensorRef) String() string { return fmt.Sprintf("%s[%d][%d]", r.Layer, r.Node, r.Tensor) }

// parseInbound decodes a layer's "inbound_nodes" into one list of input
// tensors per call. It accepts Keras 2's nested lists
// [[["layer", node, tensor, {kwargs}], ...], ...] and Keras 3's
// [{"args": [...], "kwargs": {...}}] with "__keras_tensor__" objects.
func parseInbound(raw json.RawMessage) ([][]tensorRef, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var nodes []json.RawMessage
	if err := json.Unmarshal(raw, &nodes); err != nil {
		return nil, fmt.Errorf("inbound_nodes: %w", err)
	}
	calls := make([][]tensorRef, 0, len(nodes))
	for i, n := range nodes {
		n = bytes.TrimSpace(n)
		var refs []tensorRef
		var err error
		switch {
		case len(n) > 0 && n[0] == '{':
			refs, err = parseKeras3Call(n)
		case len(n) > 0 && n[0] == '[':
			refs, err = parseKeras2Call(n)
		default:
			err = fmt.Errorf("neither a list nor an object")
		}
		if err != nil {
			return nil, fmt.Errorf("inbound_nodes[%d]: %w", i, err)
		}
		calls = append(calls, refs)
	}
	return calls, nil
}

// parseKeras2Call decodes [["layer", node, tensor, {kwargs}], ...]. TF.js
// also writes a single reference without the outer list.
func parseKeras2Call(raw json.RawMessage) ([]tensorRef, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, err
	}
	if len(items) > 0 {
		if first := bytes.TrimSpace(items[0]); len(first) > 0 && first[0] == '"' {
			r, err := parseRef(raw)
			if err != nil {
				return nil, err
			}
			return []tensorRef{r}, nil
		}
	}
	refs := make([]tensorRef, len(items))
	for i, it := range items {
		r, err := parseRef(it)
		if err != nil {
			return nil, err
		}
		refs[i] = r
	}
	return refs, nil
}

// parseRef decodes ["layer", node, tensor(, kwargs)].
func parseRef(raw json.RawMessage) (tensorRef, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return tensorRef{}, fmt.Errorf("tensor reference %s: %w", clip(raw), err)
	}
	if len(parts) < 3 {
		return tensorRef{}, fmt.Errorf("tensor reference %s: want [layer, node, tensor]", clip(raw))
	}
	var r tensorRef
	var node, tensor float64
	if json.Unmarshal(parts[0], &r.Layer) != nil || json.Unmarshal(parts[1], &node) != nil ||
		json.Unmarshal(parts[2], &tensor) != nil {
		return tensorRef{}, fmt.Errorf("tensor reference %s: want [string, int, int]", clip(raw))
	}
	var err1, err2 error
	r.Node, err1 = wholeNumber(node)
	r.Tensor, err2 = wholeNumber(tensor)
	if err1 != nil || err2 != nil || r.Node < 0 || r.Tensor < 0 {
		return tensorRef{}, fmt.Errorf("tensor reference %s: bad indices", clip(raw))
	}
	return r, nil
}

// parseKeras3Call collects the "__keras_tensor__" objects of a call's args,
// in order.
func parseKeras3Call(raw json.RawMessage) ([]tensorRef, error) {
	var call struct {
		Args json.RawMessage `json:"args"`
	}
	if err := json.Unmarshal(raw, &call); err != nil {
		return nil, err
	}
	var refs []tensorRef
	if err := collectKerasTensors(call.Args, &refs, 0); err != nil {
		return nil, err
	}
	return refs, nil
}

// maxNesting bounds the recursion into args.
const maxNesting = 64

func collectKerasTensors(raw json.RawMessage, refs *[]tensorRef, depth int) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if depth > maxNesting {
		return fmt.Errorf("args nested deeper than %d", maxNesting)
	}
	switch raw[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return err
		}
		for _, it := range items {
			if err := collectKerasTensors(it, refs, depth+1); err != nil {
				return err
			}
		}
	case '{':
		var obj struct {
			ClassName string `json:"class_name"`
			Config    struct {
				History json.RawMessage `json:"keras_history"`
			} `json:"config"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return err
		}
		if obj.ClassName != "__keras_tensor__" {
			return nil
		}
		r, err := parseRef(obj.Config.History)
		if err != nil {
			return fmt.Errorf("keras_history: %w", err)
		}
		*refs = append(*refs, r)
	}
	return nil
}

// parseEndpoints decodes a model's "input_layers" or "output_layers":
// [["name", node, tensor], ...] or, in Keras 3 with one endpoint,
// ["name", node, tensor].
func parseEndpoints(raw json.RawMessage) ([]tensorRef, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	return parseKeras2Call(raw)
}

// clip shortens raw JSON for an error message.
func clip(raw []byte) string {
	if len(raw) > 80 {
		return string(raw[:80]) + "..."
	}
	return string(raw)
}
