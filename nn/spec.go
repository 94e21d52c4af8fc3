package nn

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/graft-ml/graft/tensor"
)

// LayerSpec describes a layer without its weights: a type name and the
// configuration its constructor needs, as JSON. A graph's spec and its
// parameters together rebuild the graph exactly.
type LayerSpec struct {
	Type   string          `json:"type"`
	Config json.RawMessage `json:"config,omitempty"`
}

// NodeSpec is one node of a GraphSpec; a node without a layer is an input.
type NodeSpec struct {
	Name   string     `json:"name"`
	Layer  *LayerSpec `json:"layer,omitempty"`
	Inputs []string   `json:"inputs,omitempty"`
}

// GraphSpec is a graph's architecture: its nodes in order and its outputs.
type GraphSpec struct {
	Nodes   []NodeSpec `json:"nodes"`
	Outputs []string   `json:"outputs"`
}

// Specer is implemented by layers defined outside this package that can be
// saved; their type must be registered with RegisterLayer to be loaded.
type Specer interface {
	Spec() (LayerSpec, error)
}

// LayerBuilder makes a layer from its name and configuration.
type LayerBuilder func(name string, config json.RawMessage) (Layer, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]LayerBuilder{}
)

// RegisterLayer makes a layer type loadable by FromSpec. Packages that
// define layers call it from init.
func RegisterLayer(typ string, build LayerBuilder) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[typ]; dup {
		panic("nn: layer type " + typ + " registered twice")
	}
	registry[typ] = build
}

// RegisteredLayers returns the names of every loadable layer type.
func RegisteredLayers() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var names []string
	for k := range registry {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

type convSpec struct {
	Conv2DConfig
	Depthwise bool `json:"depthwise,omitempty"`
}

type activationSpec struct {
	Kind   string  `json:"kind"`
	Alpha  float32 `json:"alpha,omitempty"`
	Slope  float32 `json:"slope,omitempty"`
	Offset float32 `json:"offset,omitempty"`
}

type poolSpec struct {
	Pool2DConfig
	Max bool `json:"max,omitempty"`
}

type globalPoolSpec struct {
	Max      bool `json:"max,omitempty"`
	KeepDims bool `json:"keep_dims,omitempty"`
}

type batchNormSpec struct {
	BatchNormConfig
	Mode BNMode `json:"mode"`
}

var actNames = map[actKind]string{actReLU: "relu", actReLU6: "relu6", actLeakyReLU: "leaky_relu", actSigmoid: "sigmoid",
	actSwish: "swish", actHardSwish: "hard_swish", actHardSigmoid: "hard_sigmoid"}

func specOf(l Layer) (LayerSpec, error) {
	var typ string
	var cfg any
	switch x := l.(type) {
	case *Conv2D:
		typ, cfg = "Conv2D", convSpec{Conv2DConfig: x.config()}
	case *DepthwiseConv2D:
		typ, cfg = "Conv2D", convSpec{Conv2DConfig: x.config(), Depthwise: true}
	case *Dense:
		typ, cfg = "Dense", DenseConfig{In: x.in, Out: x.out, NoBias: x.Bias == nil}
	case *BatchNorm:
		typ, cfg = "BatchNorm", batchNormSpec{BatchNormConfig: BatchNormConfig{Channels: x.channels, Convention: x.conv,
			Momentum: x.momentum, Epsilon: x.epsilon, NoScale: x.Gamma == nil, NoCenter: x.Beta == nil}, Mode: x.mode}
	case *Activation:
		typ, cfg = "Activation", activationSpec{Kind: actNames[x.kind], Alpha: x.alpha, Slope: x.slope, Offset: x.offset}
	case *Softmax:
		typ = "Softmax"
	case *MaxPool2D:
		typ, cfg = "Pool2D", poolSpec{Pool2DConfig: x.cfg, Max: true}
	case *AvgPool2D:
		typ, cfg = "Pool2D", poolSpec{Pool2DConfig: x.cfg}
	case *GlobalPool:
		typ, cfg = "GlobalPool", globalPoolSpec{Max: x.max, KeepDims: x.keepDims}
	case *Reshape:
		typ, cfg = "Reshape", x.target
	case *ZeroPadding2D:
		typ, cfg = "ZeroPadding2D", [4]int{x.top, x.bottom, x.left, x.right}
	case *Dropout:
		typ, cfg = "Dropout", struct {
			Rate float64 `json:"rate"`
			Seed uint64  `json:"seed"`
		}{x.rate, x.seed}
	case *Add:
		typ = "Add"
	case *Multiply:
		typ = "Multiply"
	case *Concat:
		typ = "Concat"
	case Specer:
		return x.Spec()
	default:
		return LayerSpec{}, fmt.Errorf("%s: layer type %T cannot be saved", l.Name(), l)
	}
	s := LayerSpec{Type: typ}
	if cfg != nil {
		b, err := json.Marshal(cfg)
		if err != nil {
			return LayerSpec{}, fmt.Errorf("%s: %w", l.Name(), err)
		}
		s.Config = b
	}
	return s, nil
}

// config returns the Conv2DConfig that rebuilds the layer (weights aside).
func (c *convCore) config() Conv2DConfig {
	return Conv2DConfig{InChannels: c.inC, Filters: c.outC, KernelH: c.kh, KernelW: c.kw, StrideH: c.sh, StrideW: c.sw,
		DilationH: c.dh, DilationW: c.dw, Padding: c.pad, Groups: c.groups, NoBias: c.Bias == nil, Init: InitZeros}
}

// buildLayer makes a layer of one of this package's types from its spec.
func buildLayer(name string, s LayerSpec) (Layer, error) {
	dec := func(v any) error {
		if len(s.Config) == 0 {
			return fmt.Errorf("%s: %s spec has no config", name, s.Type)
		}
		if err := json.Unmarshal(s.Config, v); err != nil {
			return fmt.Errorf("%s: %s config: %w", name, s.Type, err)
		}
		return nil
	}
	switch s.Type {
	case "Conv2D":
		var c convSpec
		if err := dec(&c); err != nil {
			return nil, err
		}
		c.Init = InitZeros
		if c.Depthwise {
			if c.Groups != c.InChannels || c.InChannels < 1 || c.Filters%c.InChannels != 0 {
				return nil, fmt.Errorf("%s: depthwise spec with %d groups for %d channels", name, c.Groups, c.InChannels)
			}
			return NewDepthwiseConv2D(name, DepthwiseConv2DConfig{Channels: c.InChannels, Multiplier: c.Filters / c.InChannels,
				KernelH: c.KernelH, KernelW: c.KernelW, StrideH: c.StrideH, StrideW: c.StrideW, DilationH: c.DilationH,
				DilationW: c.DilationW, Padding: c.Padding, NoBias: c.NoBias, Init: InitZeros})
		}
		return NewConv2D(name, c.Conv2DConfig)
	case "Dense":
		var c DenseConfig
		if err := dec(&c); err != nil {
			return nil, err
		}
		c.Init = InitZeros
		return NewDense(name, c)
	case "BatchNorm":
		var c batchNormSpec
		if err := dec(&c); err != nil {
			return nil, err
		}
		b, err := NewBatchNorm(name, c.BatchNormConfig)
		if err != nil {
			return nil, err
		}
		if c.Mode < BNTrain || c.Mode > BNFrozen {
			return nil, fmt.Errorf("%s: unknown BatchNorm mode %d", name, c.Mode)
		}
		b.SetMode(c.Mode)
		return b, nil
	case "Activation":
		var c activationSpec
		if err := dec(&c); err != nil {
			return nil, err
		}
		for k, v := range actNames {
			if v == c.Kind {
				return &Activation{name: name, kind: k, alpha: c.Alpha, slope: c.Slope, offset: c.Offset}, nil
			}
		}
		return nil, fmt.Errorf("%s: unknown activation %q", name, c.Kind)
	case "Softmax":
		return NewSoftmax(name), nil
	case "Pool2D":
		var c poolSpec
		if err := dec(&c); err != nil {
			return nil, err
		}
		if c.Max {
			return NewMaxPool2D(name, c.Pool2DConfig)
		}
		return NewAvgPool2D(name, c.Pool2DConfig)
	case "GlobalPool":
		var c globalPoolSpec
		if err := dec(&c); err != nil {
			return nil, err
		}
		if c.Max {
			return NewGlobalMaxPool(name, c.KeepDims), nil
		}
		return NewGlobalAvgPool(name, c.KeepDims), nil
	case "Reshape":
		var target []int
		if err := dec(&target); err != nil {
			return nil, err
		}
		return NewReshape(name, target...), nil
	case "ZeroPadding2D":
		var p [4]int
		if err := dec(&p); err != nil {
			return nil, err
		}
		return NewZeroPadding2D(name, p[0], p[1], p[2], p[3])
	case "Dropout":
		var c struct {
			Rate float64 `json:"rate"`
			Seed uint64  `json:"seed"`
		}
		if err := dec(&c); err != nil {
			return nil, err
		}
		return NewDropout(name, c.Rate, c.Seed)
	case "Add":
		return NewAdd(name), nil
	case "Multiply":
		return NewMultiply(name), nil
	case "Concat":
		return NewConcat(name), nil
	}
	registryMu.RLock()
	build, ok := registry[s.Type]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%s: unknown layer type %q", name, s.Type)
	}
	return build(name, s.Config)
}

// Spec describes the graph's architecture.
func (g *Graph) Spec() (GraphSpec, error) {
	var s GraphSpec
	for _, n := range g.nodes {
		ns := NodeSpec{Name: n.name}
		for _, i := range n.inputs {
			ns.Inputs = append(ns.Inputs, g.nodes[i].name)
		}
		if n.layer != nil {
			ls, err := specOf(n.layer)
			if err != nil {
				return GraphSpec{}, err
			}
			ns.Layer = &ls
		}
		s.Nodes = append(s.Nodes, ns)
	}
	s.Outputs = g.Outputs()
	return s, nil
}

// FromSpec builds a graph from its architecture, with zeroed weights; load
// the parameters and state by name afterwards.
func FromSpec(s GraphSpec) (*Graph, error) {
	g := NewGraph()
	for _, n := range s.Nodes {
		if n.Layer == nil {
			if len(n.Inputs) != 0 {
				return nil, fmt.Errorf("graph spec: node %q has inputs but no layer", n.Name)
			}
			if err := g.Input(n.Name); err != nil {
				return nil, err
			}
			continue
		}
		l, err := buildLayer(n.Name, *n.Layer)
		if err != nil {
			return nil, fmt.Errorf("graph spec: %w", err)
		}
		if err := g.Add(n.Name, l, n.Inputs...); err != nil {
			return nil, err
		}
	}
	if len(s.Outputs) > 0 {
		if err := g.SetOutputs(s.Outputs...); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// ParamCount returns how many float32 values the layers of s allocate for
// their parameters and state, computed from the configurations alone, so a
// loader can refuse an architecture too large for the file (or the machine)
// before allocating anything. Layer types registered from other packages
// count as zero.
func (s GraphSpec) ParamCount() (int64, error) {
	const limit = int64(1) << 40
	var total int64
	mul := func(fs ...int) (int64, error) {
		n := int64(1)
		for _, f := range fs {
			if f < 0 || int64(f) > limit || (f > 0 && n > limit/int64(f)) {
				return 0, fmt.Errorf("sizes %v are out of range", fs)
			}
			n *= int64(f)
		}
		return n, nil
	}
	for _, node := range s.Nodes {
		if node.Layer == nil || len(node.Layer.Config) == 0 {
			continue
		}
		var n int64
		var err error
		switch node.Layer.Type {
		case "Conv2D":
			var c convSpec
			if err = json.Unmarshal(node.Layer.Config, &c); err == nil {
				g := max(c.Groups, 1)
				n, err = mul(c.KernelH, c.KernelW, c.InChannels/g, c.Filters)
				if !c.NoBias {
					n += int64(max(c.Filters, 0))
				}
			}
		case "Dense":
			var c DenseConfig
			if err = json.Unmarshal(node.Layer.Config, &c); err == nil {
				n, err = mul(c.In, c.Out)
				if !c.NoBias {
					n += int64(max(c.Out, 0))
				}
			}
		case "BatchNorm":
			var c batchNormSpec
			if err = json.Unmarshal(node.Layer.Config, &c); err == nil {
				n, err = mul(4, c.Channels)
			}
		}
		if err != nil {
			return 0, fmt.Errorf("graph spec: node %s: %w", node.Name, err)
		}
		total += n
		if total > limit {
			return 0, fmt.Errorf("graph spec: more than %d parameters", limit)
		}
	}
	return total, nil
}

// Clone returns an independent copy of g: the same layers rebuilt from its
// spec, with every parameter's value and trainable flag and every state
// tensor (BatchNorm's running statistics) copied. A Graph is not safe for
// concurrent Forward calls; goroutines that run one model at once each
// need their own copy.
func (g *Graph) Clone() (*Graph, error) {
	spec, err := g.Spec()
	if err != nil {
		return nil, err
	}
	c, err := FromSpec(spec)
	if err != nil {
		return nil, err
	}
	src := map[string]*Param{}
	for _, p := range append(g.Params(), g.State()...) {
		src[p.Name] = p
	}
	for _, p := range append(c.Params(), c.State()...) {
		s, ok := src[p.Name]
		if !ok || !tensor.SameShape(s.Value, p.Value) {
			return nil, fmt.Errorf("nn: clone: tensor %s does not match the original's", p.Name)
		}
		copy(p.Value.Data, s.Value.Data)
		p.Trainable = s.Trainable
	}
	c.CheckFinite = g.CheckFinite
	return c, nil
}
