// Package zoo holds Graft's named CNN architectures (VGG, ResNet, Inception
// V3, MobileNet V1/V2/V3, EfficientNet B0-B3), defined in Go so that each
// file reads like its paper's table or torchvision's model file. Node names
// are torchvision's state-dict module names ("layer1.0.conv1",
// "features.3.conv.0.0"), so a torchvision state dict maps by name; each
// model also records the matching Keras layer names where Keras has the
// model. Every architecture carries its preprocessing, input size, labels
// and known weight sources.
package zoo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/nn"
)

// BNConvention selects the BatchNorm epsilon and momentum a model is built
// with.
type BNConvention int

const (
	// BNTorch is torchvision's: PyTorch momentum semantics with the epsilon
	// and momentum torchvision's model file uses (1e-5 and 0.1 unless the
	// model says otherwise, as Inception V3 and MobileNet V3 do).
	BNTorch BNConvention = iota
	// BNKeras is Keras's: Keras momentum semantics with the epsilon and
	// momentum keras.applications uses for the model.
	BNKeras
)

// Options configures Build. The zero value builds the model at its default
// input size with the ImageNet classifier (1000 classes) on top.
type Options struct {
	// IncludeTop keeps the classifier; without it the model ends at the
	// base's feature map, or at a global pooling chosen by Pooling.
	IncludeTop bool
	// Pooling is "", "avg" or "max": the global pooling added after the
	// base when IncludeTop is false.
	Pooling string
	// Classes is the classifier's output size (0 means 1000).
	Classes int
	// InputH and InputW are the input size (0 means the default).
	InputH, InputW int
	// Width is the width multiplier of the MobileNet families (0 means 1).
	Width float64
	// Seed makes the random initial weights reproducible.
	Seed uint64
	// BNConvention picks the BatchNorm epsilon and momentum.
	BNConvention BNConvention
}

// Block is one stage of a model's base, in order, for policies such as
// "unfreeze the last N blocks".
type Block struct {
	Name  string
	Nodes []string
}

// Model is a built architecture.
type Model struct {
	Name  string
	Graph *nn.Graph
	// InputH and InputW are the input size the model was built for.
	InputH, InputW int
	// Preprocess is the preprocessing of the model's default weights, at
	// the model's input size.
	Preprocess data.Preprocess
	// Labels are the ImageNet class names when the model has the 1000-class
	// top, else nil.
	Labels []string
	// Blocks are the base's stages in order; Head is the nodes after the
	// base (classifier or global pooling), empty without them.
	Blocks []Block
	Head   []string
	// FeatureNode is the output of the base, before any pooling or top.
	FeatureNode string
	// KerasNames maps Graft node names to the layer names keras.applications
	// gives the same layers (nil when Keras has no such model).
	KerasNames map[string]string
	// Spec describes the architecture.
	Spec Spec

	torch torchLayout
}

// WeightSource is a file of official pretrained weights.
type WeightSource struct {
	// Format is "torchvision" or "keras".
	Format string
	URL    string
	// File is the file name the publisher gives.
	File string
	// Hash is the published digest, of kind HashKind ("sha256" or "md5");
	// HashPrefix marks a leading part of the digest only (torchvision's
	// file names embed the first hex digits of the sha256).
	Hash       string
	HashKind   string
	HashPrefix bool
	// Top says whether the file includes the classifier.
	Top bool
	// Note says anything else a user needs (recipe, input size, width).
	Note string
}

// Spec describes an architecture of the zoo.
type Spec struct {
	Name   string
	Family string
	// DefaultSize is the input size of the default weights; MinSize the
	// smallest input the architecture accepts.
	DefaultSize, MinSize int
	// Params is the number of learned parameters with the 1000-class top
	// (BatchNorm running statistics excluded), at width 1.
	Params int
	// Preprocess is the preprocessing of the first weight source.
	Preprocess data.Preprocess
	// Sources are the official pretrained weights.
	Sources []WeightSource
	// Keras is the keras.applications constructor of the same model, if any.
	Keras string

	build func(b *builder) error
}

// List returns the specs of every architecture in the zoo, by name.
func List() []Spec {
	out := make([]Spec, 0, len(specs))
	for _, s := range specs {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Spec) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Lookup returns the named architecture's spec.
func Lookup(name string) (Spec, bool) {
	s, ok := specs[strings.ToLower(name)]
	return s, ok
}

// Names returns the architecture names, sorted.
func Names() []string {
	var names []string
	for n := range specs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Build constructs the named architecture with freshly initialised weights.
func Build(name string, opt Options) (*Model, error) {
	spec, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("zoo: unknown model %q (have %s)", name, strings.Join(Names(), ", "))
	}
	if opt.Classes == 0 {
		opt.Classes = 1000
	}
	if opt.InputH == 0 {
		opt.InputH = spec.DefaultSize
	}
	if opt.InputW == 0 {
		opt.InputW = spec.DefaultSize
	}
	switch {
	case opt.Classes < 0:
		return nil, fmt.Errorf("zoo: %s: %d classes: must be positive", spec.Name, opt.Classes)
	case opt.InputH < spec.MinSize || opt.InputW < spec.MinSize:
		return nil, fmt.Errorf("zoo: %s: input %dx%d is too small: the minimum is %dx%d",
			spec.Name, opt.InputH, opt.InputW, spec.MinSize, spec.MinSize)
	case opt.Pooling != "" && opt.Pooling != "avg" && opt.Pooling != "max":
		return nil, fmt.Errorf("zoo: %s: pooling %q: want \"\", \"avg\" or \"max\"", spec.Name, opt.Pooling)
	case opt.IncludeTop && opt.Pooling != "":
		return nil, fmt.Errorf("zoo: %s: pooling %q applies only without the top", spec.Name, opt.Pooling)
	case opt.BNConvention != BNTorch && opt.BNConvention != BNKeras:
		return nil, fmt.Errorf("zoo: %s: unknown BatchNorm convention %d", spec.Name, opt.BNConvention)
	case opt.Width < 0 || opt.Width != opt.Width:
		return nil, fmt.Errorf("zoo: %s: width multiplier %v must be positive", spec.Name, opt.Width)
	case opt.Width != 0 && opt.Width != 1 && !strings.HasPrefix(spec.Family, "mobilenet"):
		return nil, fmt.Errorf("zoo: %s: a width multiplier (%v) applies only to the MobileNet families", spec.Name, opt.Width)
	}
	if opt.Width == 0 {
		opt.Width = 1
	}
	b := newBuilder(spec, opt)
	if err := spec.build(b); err != nil {
		return nil, fmt.Errorf("zoo: %s: %w", spec.Name, err)
	}
	if b.err != nil {
		return nil, fmt.Errorf("zoo: %s: %w", spec.Name, b.err)
	}
	m := b.model()
	return m, nil
}

// ParamCount returns the number of learned parameters of the model's graph.
func (m *Model) ParamCount() int {
	n := 0
	for _, p := range m.Graph.Params() {
		n += p.Value.Size()
	}
	return n
}
