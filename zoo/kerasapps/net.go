package kerasapps

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
)

// tensor is a Keras tensor of the config being written: the layer that
// computes it and its shape per example ([H, W, C], or [C] once flat).
type tensor struct {
	layer string
	shape []int
}

// channels returns the last axis.
func (t tensor) channels() int { return t.shape[len(t.shape)-1] }

// layerJSON is one entry of a Keras 2 functional config's "layers" list.
type layerJSON struct {
	ClassName    string         `json:"class_name"`
	Name         string         `json:"name"`
	Config       map[string]any `json:"config"`
	InboundNodes [][][]any      `json:"inbound_nodes"`
}

// net writes a Keras 2 functional model config layer by layer, tracking
// shapes as Keras would, and naming layers as Keras does.
type net struct {
	name   string
	layers []layerJSON
	names  map[string]bool
	// counts numbers the auto-named layers per prefix, as Keras's
	// backend.get_uid does; fileNames, when set, lists the names a weights
	// file gives the auto-named layers of each prefix, in creation order.
	counts    map[string]int
	fileNames map[string][]string
	err       error
}

func newNet(name string, fileNames map[string][]string) *net {
	return &net{name: name, names: map[string]bool{}, counts: map[string]int{}, fileNames: fileNames}
}

// auto returns the next name Keras gives an unnamed layer of the prefix:
// "conv2d", "conv2d_1", ... or, for a weights file, the file's names of
// that prefix in order.
func (n *net) auto(prefix string) string {
	k := n.counts[prefix]
	n.counts[prefix] = k + 1
	if fn := n.fileNames[prefix]; k < len(fn) {
		return fn[k]
	}
	if k == 0 {
		return prefix
	}
	return prefix + "_" + strconv.Itoa(k)
}

// add appends a layer called on ins whose output has shape.
func (n *net) add(class, name string, cfg map[string]any, shape []int, ins ...tensor) tensor {
	if n.err == nil && n.names[name] {
		n.err = fmt.Errorf("two layers named %q", name)
	}
	if n.err == nil && slices.ContainsFunc(shape, func(d int) bool { return d < 1 }) {
		n.err = fmt.Errorf("layer %q: output shape %v: the input is too small", name, shape)
	}
	n.names[name] = true
	if cfg == nil {
		cfg = map[string]any{}
	}
	cfg["name"] = name
	cfg["trainable"] = true
	cfg["dtype"] = "float32"
	var node [][]any
	for _, t := range ins {
		node = append(node, []any{t.layer, 0, 0, map[string]any{}})
	}
	l := layerJSON{ClassName: class, Name: name, Config: cfg, InboundNodes: [][][]any{}}
	if len(ins) > 0 {
		l.InboundNodes = [][][]any{node}
	}
	n.layers = append(n.layers, l)
	return tensor{layer: name, shape: slices.Clone(shape)}
}

// input adds the InputLayer.
func (n *net) input(name string, h, w int) tensor {
	return n.add("InputLayer", name, map[string]any{"batch_input_shape": []any{nil, h, w, 3}, "sparse": false}, []int{h, w, 3})
}

// outSize is a convolution's or pooling's output size along one axis.
func outSize(in, k, s int, same bool) int {
	if same {
		return (in + s - 1) / s
	}
	if in < k {
		return 0
	}
	return (in-k)/s + 1
}

func windowShape(x tensor, kh, kw, s int, same bool, ch int) []int {
	return []int{outSize(x.shape[0], kh, s, same), outSize(x.shape[1], kw, s, same), ch}
}

func paddingName(same bool) string {
	if same {
		return "same"
	}
	return "valid"
}

// conv adds a Conv2D with a kh×kw kernel.
func (n *net) conv(name string, x tensor, filters, kh, kw, stride int, same, bias bool, act string) tensor {
	cfg := map[string]any{"filters": filters, "kernel_size": []int{kh, kw}, "strides": []int{stride, stride},
		"padding": paddingName(same), "data_format": "channels_last", "dilation_rate": []int{1, 1}, "groups": 1,
		"activation": act, "use_bias": bias}
	return n.add("Conv2D", name, cfg, windowShape(x, kh, kw, stride, same, filters), x)
}

// depthwise adds a k×k DepthwiseConv2D without bias.
func (n *net) depthwise(name string, x tensor, k, stride int, same bool) tensor {
	cfg := map[string]any{"kernel_size": []int{k, k}, "strides": []int{stride, stride}, "padding": paddingName(same),
		"data_format": "channels_last", "dilation_rate": []int{1, 1}, "depth_multiplier": 1, "activation": "linear",
		"use_bias": false}
	return n.add("DepthwiseConv2D", name, cfg, windowShape(x, k, k, stride, same, x.channels()), x)
}

// bn adds a BatchNormalization on the last axis.
func (n *net) bn(name string, x tensor, eps, momentum float64, scale bool) tensor {
	cfg := map[string]any{"axis": 3, "momentum": momentum, "epsilon": eps, "center": true, "scale": scale}
	return n.add("BatchNormalization", name, cfg, x.shape, x)
}

// act adds an Activation layer.
func (n *net) act(name string, x tensor, act string) tensor {
	return n.add("Activation", name, map[string]any{"activation": act}, x.shape, x)
}

// relu6 adds ReLU(6.).
func (n *net) relu6(name string, x tensor) tensor {
	cfg := map[string]any{"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}
	return n.add("ReLU", name, cfg, x.shape, x)
}

// relu adds ReLU() without a ceiling.
func (n *net) relu(name string, x tensor) tensor {
	cfg := map[string]any{"max_value": nil, "negative_slope": 0.0, "threshold": 0.0}
	return n.add("ReLU", name, cfg, x.shape, x)
}

// rescale adds a Rescaling layer, x*scale + offset; scale is one value or
// one per channel.
func (n *net) rescale(name string, x tensor, scale any, offset float64) tensor {
	return n.add("Rescaling", name, map[string]any{"scale": scale, "offset": offset}, x.shape, x)
}

// multiply adds a Multiply of x by y, which has x's shape or is [1, 1, C].
func (n *net) multiply(name string, x, y tensor) tensor {
	return n.add("Multiply", name, nil, x.shape, x, y)
}

// dropout adds a Dropout layer (the identity at inference).
func (n *net) dropout(name string, x tensor, rate float64, noiseShape []any) tensor {
	return n.add("Dropout", name, map[string]any{"rate": rate, "noise_shape": noiseShape, "seed": nil}, x.shape, x)
}

// zeroPad adds a ZeroPadding2D of ((top, bottom), (left, right)).
func (n *net) zeroPad(name string, x tensor, t, b, l, r int) tensor {
	cfg := map[string]any{"padding": [][]int{{t, b}, {l, r}}, "data_format": "channels_last"}
	return n.add("ZeroPadding2D", name, cfg, []int{x.shape[0] + t + b, x.shape[1] + l + r, x.channels()}, x)
}

// pool adds a MaxPooling2D or AveragePooling2D.
func (n *net) pool(avg bool, name string, x tensor, k, s int, same bool) tensor {
	class := "MaxPooling2D"
	if avg {
		class = "AveragePooling2D"
	}
	cfg := map[string]any{"pool_size": []int{k, k}, "strides": []int{s, s}, "padding": paddingName(same), "data_format": "channels_last"}
	return n.add(class, name, cfg, windowShape(x, k, k, s, same, x.channels()), x)
}

// globalPool adds a GlobalAveragePooling2D or GlobalMaxPooling2D.
func (n *net) globalPool(avg bool, name string, x tensor) tensor {
	class := "GlobalMaxPooling2D"
	if avg {
		class = "GlobalAveragePooling2D"
	}
	return n.add(class, name, map[string]any{"data_format": "channels_last", "keepdims": false}, []int{x.channels()}, x)
}

// squeeze adds a GlobalAveragePooling2D that keeps the spatial axes:
// [1, 1, C].
func (n *net) squeeze(name string, x tensor) tensor {
	cfg := map[string]any{"data_format": "channels_last", "keepdims": true}
	return n.add("GlobalAveragePooling2D", name, cfg, []int{1, 1, x.channels()}, x)
}

// dense adds a Dense layer.
func (n *net) dense(name string, x tensor, units int, act string) tensor {
	return n.add("Dense", name, map[string]any{"units": units, "activation": act, "use_bias": true}, []int{units}, x)
}

// merge adds an Add or a Concatenate on the last axis.
func (n *net) merge(class, name string, xs ...tensor) tensor {
	shape := slices.Clone(xs[0].shape)
	cfg := map[string]any{}
	if class == "Concatenate" {
		cfg["axis"] = 3
		shape[2] = 0
		for _, x := range xs {
			shape[2] += x.channels()
		}
	}
	return n.add(class, name, cfg, shape, xs...)
}

// pooling adds the optional global pooling of a model without its top.
func (n *net) pooling(x tensor, pooling, avgName, maxName string) tensor {
	switch pooling {
	case "avg":
		return n.globalPool(true, avgName, x)
	case "max":
		return n.globalPool(false, maxName, x)
	}
	return x
}

// config returns the model config JSON with x as the output.
func (n *net) config(input, out tensor) ([]byte, error) {
	if n.err != nil {
		return nil, n.err
	}
	model := map[string]any{"class_name": "Functional", "config": map[string]any{
		"name": n.name, "layers": n.layers,
		"input_layers": [][]any{{input.layer, 0, 0}}, "output_layers": [][]any{{out.layer, 0, 0}},
	}}
	return json.Marshal(model)
}

// autoName matches the names Keras gives unnamed layers: prefix, then an
// optional "_<n>".
var autoName = regexp.MustCompile(`^([a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*?)(?:_(\d+))?$`)

// autoNames groups a file's layer names of the given prefixes by prefix,
// each list in Keras's creation order (the number after the prefix; none
// comes first).
func autoNames(layerNames []string, prefixes ...string) map[string][]string {
	type entry struct {
		name string
		k    int
	}
	groups := map[string][]entry{}
	for _, ln := range layerNames {
		m := autoName.FindStringSubmatch(ln)
		if m == nil || !slices.Contains(prefixes, m[1]) {
			continue
		}
		k := -1
		if m[2] != "" {
			v, err := strconv.Atoi(m[2])
			if err != nil {
				continue
			}
			k = v
		}
		groups[m[1]] = append(groups[m[1]], entry{ln, k})
	}
	out := map[string][]string{}
	for p, es := range groups {
		slices.SortFunc(es, func(a, b entry) int { return a.k - b.k })
		for _, e := range es {
			out[p] = append(out[p], e.name)
		}
	}
	return out
}
