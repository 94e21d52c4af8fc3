// Package graft is transfer learning with convolutional networks, in Go.
// It reads like the classic recipe: take a base pretrained on ImageNet
// without its classifier, freeze it, add a head for your classes, train the
// head, fine-tune the top of the base at a lower rate, evaluate, save.
//
//	base, err := graft.NewBase("mobilenet_v2", graft.BaseOptions{Weights: "mobilenet_v2.graft"})
//	model, err := base.WithHead(classes, graft.Head{Dropout: 0.2})
//	hist, err := model.Fit(ctx, trainSet, valSet, graft.Recipe{HeadEpochs: 10, FineTuneEpochs: 5, FineTuneBlocks: 2})
//	eval, err := model.Evaluate(ctx, testSet)
//	err = model.Save("pets.graft")
//
// The defaults handle the known pitfalls: a frozen BatchNorm runs in
// inference mode, unfrozen BatchNorm layers keep their pretrained
// statistics, fine-tuning uses a tenth of the head's learning rate, the
// preprocessing travels with the weights, and the frozen base's features
// are computed once and cached.
package graft

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/formats/graftfile"
	"github.com/graft-ml/graft/modelio"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
	"github.com/graft-ml/graft/train"
	"github.com/graft-ml/graft/zoo"
)

// Model is a network ready for transfer learning: a base cut into blocks,
// and, once WithHead has been called, a head for the task's classes.
type Model struct {
	// Arch names the base architecture ("mobilenet_v2", or the file it came from).
	Arch string
	net  *train.Network
	// base is the node count of the base (input included).
	baseNodes int
}

// BaseOptions configures NewBase.
type BaseOptions struct {
	// Weights is a Graft file whose base weights are loaded by name; empty
	// keeps the random initialisation (for training from scratch).
	Weights string
	// InputSize is the square input size; 0 uses the architecture's default.
	InputSize int
	// Width is the MobileNet width multiplier; 0 means 1.
	Width float64
	// Seed makes the random initialisation reproducible.
	Seed uint64
	// CutAt ends the base at this node instead of the architecture's last
	// feature layer, to transfer more general, earlier features.
	CutAt string
}

// NewBase builds a zoo architecture without its classifier.
func NewBase(arch string, opt BaseOptions) (*Model, error) {
	zm, err := zoo.Build(arch, zoo.Options{InputH: opt.InputSize, InputW: opt.InputSize, Width: opt.Width, Seed: opt.Seed})
	if err != nil {
		return nil, err
	}
	g := nn.NewGraph()
	nodes := zm.Graph.Nodes()
	feature := zm.FeatureNode
	if opt.CutAt != "" {
		if _, ok := zm.Graph.Layer(opt.CutAt); !ok {
			return nil, fmt.Errorf("graft: %s has no node %q to cut at", arch, opt.CutAt)
		}
		feature = opt.CutAt
	}
	for _, name := range nodes {
		l, _ := zm.Graph.Layer(name)
		ins, _ := zm.Graph.NodeInputs(name)
		if l == nil {
			err = g.Input(name)
		} else {
			err = g.Add(name, l, ins...)
		}
		if err != nil {
			return nil, err
		}
		if name == feature {
			break
		}
	}
	var blocks [][]string
	for _, b := range zm.Blocks {
		var kept []string
		for _, n := range b.Nodes {
			if _, ok := g.Layer(n); ok {
				kept = append(kept, n)
			}
		}
		if len(kept) > 0 {
			blocks = append(blocks, kept)
		}
	}
	pre := zm.Preprocess
	m := &Model{Arch: arch, baseNodes: len(g.Nodes()), net: &train.Network{Graph: g, Input: nodes[0], Feature: feature,
		Blocks: blocks, Preprocess: pre}}
	if opt.Weights != "" {
		src, err := graftfile.Load(opt.Weights)
		if err != nil {
			return nil, err
		}
		if err := copyByName(g, src.Graph); err != nil {
			return nil, fmt.Errorf("graft: weights %s: %w", opt.Weights, err)
		}
		m.net.Preprocess = src.Preprocess
	}
	return m, nil
}

// copyByName copies every tensor of dst from the same-named tensor of src
// (which may have more, such as a classifier).
func copyByName(dst, src *nn.Graph) error {
	from := map[string]*tensor.Tensor{}
	for _, p := range append(src.Params(), src.State()...) {
		from[p.Name] = p.Value
	}
	for _, p := range append(dst.Params(), dst.State()...) {
		t, ok := from[p.Name]
		if !ok {
			return fmt.Errorf("tensor %s is missing", p.Name)
		}
		if !tensor.SameShape(t, p.Value) {
			return fmt.Errorf("tensor %s has shape %v, the base needs %v", p.Name, t.Shape, p.Value.Shape)
		}
		copy(p.Value.Data, t.Data)
	}
	return nil
}

// Head describes the layers added on top of the base: global average
// pooling (when the base ends in a feature map), optional hidden Dense
// layers with ReLU, dropout, and the classifier.
type Head struct {
	Hidden  []int
	Dropout float64
	// Flatten keeps the base's feature map whole (flattened) instead of
	// averaging it over its positions.
	Flatten bool
	// BatchNorm adds a BatchNorm after each hidden layer.
	BatchNorm bool
	Seed      uint64
}

// WithHead returns a model made of this model's base (its layers shared,
// not copied) and a new head for classes.
func (m *Model) WithHead(classes []string, h Head) (*Model, error) {
	if len(classes) < 2 {
		return nil, fmt.Errorf("graft: a head needs at least two classes, got %d", len(classes))
	}
	if h.Dropout < 0 || h.Dropout >= 1 {
		return nil, fmt.Errorf("graft: dropout %g must be in [0, 1)", h.Dropout)
	}
	src := m.net.Graph
	g := nn.NewGraph()
	nodes := src.Nodes()[:m.baseNodes]
	for _, name := range nodes {
		l, _ := src.Layer(name)
		ins, _ := src.NodeInputs(name)
		var err error
		if l == nil {
			err = g.Input(name)
		} else {
			err = g.Add(name, l, ins...)
		}
		if err != nil {
			return nil, err
		}
	}
	// The feature width: run one zero image through the base.
	pre := m.net.Preprocess
	outs, err := g.Forward([]*tensor.Tensor{tensor.New(1, pre.Height, pre.Width, 3)}, false)
	if err != nil {
		return nil, fmt.Errorf("graft: probing the base: %w", err)
	}
	shape := outs[0].Shape
	last := m.net.Feature
	add := func(name string, l nn.Layer) error {
		if err := g.Add(name, l, last); err != nil {
			return err
		}
		last = name
		return nil
	}
	width := shape[len(shape)-1]
	switch {
	case len(shape) == 4 && h.Flatten:
		if err := add("head.flatten", nn.NewFlatten("head.flatten")); err != nil {
			return nil, err
		}
		width = shape[1] * shape[2] * shape[3]
	case len(shape) == 4:
		if err := add("head.pool", nn.NewGlobalAvgPool("head.pool", false)); err != nil {
			return nil, err
		}
	}
	for i, n := range h.Hidden {
		d, err := nn.NewDense(fmt.Sprintf("head.dense%d", i), nn.DenseConfig{In: width, Out: n, Init: nn.InitHeNormal, Seed: h.Seed + uint64(i)})
		if err != nil {
			return nil, err
		}
		if err := add(d.Name(), d); err != nil {
			return nil, err
		}
		if h.BatchNorm {
			bn, err := nn.NewBatchNorm(fmt.Sprintf("head.bn%d", i), nn.BatchNormConfig{Channels: n, Convention: nn.BNPyTorch})
			if err != nil {
				return nil, err
			}
			if err := add(bn.Name(), bn); err != nil {
				return nil, err
			}
		}
		if err := add(fmt.Sprintf("head.relu%d", i), nn.NewReLU(fmt.Sprintf("head.relu%d", i))); err != nil {
			return nil, err
		}
		width = n
	}
	if h.Dropout > 0 {
		d, err := nn.NewDropout("head.dropout", h.Dropout, h.Seed+100)
		if err != nil {
			return nil, err
		}
		if err := add("head.dropout", d); err != nil {
			return nil, err
		}
	}
	fc, err := nn.NewDense("head.classifier", nn.DenseConfig{In: width, Out: len(classes), Seed: h.Seed + 200})
	if err != nil {
		return nil, err
	}
	if err := add("head.classifier", fc); err != nil {
		return nil, err
	}
	net := *m.net
	net.Graph, net.Classes = g, append([]string(nil), classes...)
	return &Model{Arch: m.Arch, net: &net, baseNodes: m.baseNodes}, nil
}

// Network returns the model's graph and structure, for the train package.
func (m *Model) Network() *train.Network { return m.net }

// Recipe is the classic two-phase transfer-learning schedule.
type Recipe struct {
	// HeadEpochs train the head with the base frozen (the feature cache
	// makes these nearly free after the first).
	HeadEpochs int
	// FineTuneEpochs then train the last FineTuneBlocks blocks of the base
	// together with the head (0 blocks: the whole base).
	FineTuneEpochs int
	FineTuneBlocks int
	// GradualStages, when above 1, unfreezes the FineTuneBlocks blocks
	// gradually (as ULMFiT does): fine-tuning runs in that many phases of
	// about FineTuneEpochs/GradualStages epochs each, phase s training the
	// last s·FineTuneBlocks/GradualStages blocks (rounded up). It needs
	// FineTuneBlocks > 0 and at least one epoch per stage.
	GradualStages int
	// FineTuneBatchNormStats lets unfrozen BatchNorm layers adapt their
	// statistics to the new data while fine-tuning (off by default; see
	// train.Freeze).
	FineTuneBatchNormStats bool
	// LR is the head phase's learning rate (default 1e-3); fine-tuning
	// runs at FineTuneLR (default LR/10).
	LR, FineTuneLR float64
	// Train holds everything else (batch size, seed, augmentation, output
	// folder, ...); its Phases are ignored.
	Train train.Config
}

// Phases turns the recipe into training phases.
func (r Recipe) Phases() ([]train.Phase, error) {
	lr := r.LR
	if lr == 0 {
		lr = 1e-3
	}
	ft := r.FineTuneLR
	if ft == 0 {
		ft = lr / 10
	}
	if r.HeadEpochs < 0 || r.FineTuneEpochs < 0 || r.HeadEpochs+r.FineTuneEpochs == 0 {
		return nil, errors.New("graft: the recipe needs head or fine-tuning epochs")
	}
	var phases []train.Phase
	if r.HeadEpochs > 0 {
		phases = append(phases, train.Phase{Name: "head", Epochs: r.HeadEpochs, Freeze: train.Freeze{Base: true}, LR: lr, WarmupFraction: 0.05})
	}
	if r.GradualStages > 1 {
		switch {
		case r.FineTuneBlocks < 1:
			return nil, fmt.Errorf("graft: gradual unfreezing in %d stages needs a number of blocks to unfreeze (FineTuneBlocks), not all of them", r.GradualStages)
		case r.FineTuneEpochs < r.GradualStages:
			return nil, fmt.Errorf("graft: gradual unfreezing in %d stages needs at least as many fine-tuning epochs, not %d", r.GradualStages, r.FineTuneEpochs)
		}
		for s := 1; s <= r.GradualStages; s++ {
			blocks := (s*r.FineTuneBlocks + r.GradualStages - 1) / r.GradualStages
			epochs := s*r.FineTuneEpochs/r.GradualStages - (s-1)*r.FineTuneEpochs/r.GradualStages
			f := train.Freeze{Base: true, LastBlocks: blocks, TrainBatchNormStats: r.FineTuneBatchNormStats}
			phases = append(phases, train.Phase{Name: fmt.Sprintf("fine-tune-%d", s), Epochs: epochs, Freeze: f, LR: ft, WarmupFraction: 0.1})
		}
		return phases, nil
	}
	if r.FineTuneEpochs > 0 {
		f := train.Freeze{Base: r.FineTuneBlocks > 0, LastBlocks: r.FineTuneBlocks, TrainBatchNormStats: r.FineTuneBatchNormStats}
		phases = append(phases, train.Phase{Name: "fine-tune", Epochs: r.FineTuneEpochs, Freeze: f, LR: ft, WarmupFraction: 0.1})
	}
	return phases, nil
}

// Fit trains the model with the recipe.
func (m *Model) Fit(ctx context.Context, trainSet, valSet data.Dataset, r Recipe) (*train.History, error) {
	phases, err := r.Phases()
	if err != nil {
		return nil, err
	}
	cfg := r.Train
	cfg.Phases = phases
	return m.FitPhases(ctx, trainSet, valSet, cfg)
}

// FitPhases trains the model with explicit phases.
func (m *Model) FitPhases(ctx context.Context, trainSet, valSet data.Dataset, cfg train.Config) (*train.History, error) {
	if len(m.net.Classes) == 0 {
		return nil, errors.New("graft: the model has no head: call WithHead first")
	}
	if cfg.Meta == nil {
		cfg.Meta = map[string]any{}
	}
	cfg.Meta["arch"] = m.Arch
	return train.Fit(ctx, m.net, trainSet, valSet, cfg)
}

// Evaluate returns the model's metrics on ds.
func (m *Model) Evaluate(ctx context.Context, ds data.Dataset) (*train.Evaluation, error) {
	return train.Evaluate(ctx, m.net, ds, 64, 0)
}

// Prediction is one class and its probability.
type Prediction struct {
	Class       string
	Index       int
	Probability float64
}

// Predict returns the k most likely classes for an image.
func (m *Model) Predict(img *data.RGB, k int) ([]Prediction, error) {
	pre := m.net.Preprocess
	x := tensor.New(1, pre.Height, pre.Width, 3)
	var z data.Resizer
	var tmp data.RGB
	if err := pre.Apply(&z, img, &tmp, x.Data); err != nil {
		return nil, err
	}
	outs, err := m.net.Graph.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		return nil, err
	}
	// A graph that ends in a softmax (or outputs a distribution already)
	// is not put through another one.
	p := train.Probabilities(outs[0].Data, train.EndsInSoftmax(m.net.Graph))
	var out []Prediction
	for _, i := range train.TopK(p, k) {
		name := fmt.Sprint(i)
		if i < len(m.net.Classes) {
			name = m.net.Classes[i]
		}
		if math.IsNaN(p[i]) {
			return nil, errors.New("graft: the model's output is NaN")
		}
		out = append(out, Prediction{Class: name, Index: i, Probability: p[i]})
	}
	return out, nil
}

// Save writes the model as a Graft file (atomically).
func (m *Model) Save(path string) error {
	return graftfile.Save(path, &graftfile.Model{Graph: m.net.Graph, Preprocess: m.net.Preprocess, Labels: m.net.Classes,
		Meta: map[string]any{"arch": m.Arch, "feature_node": m.net.Feature, "base_nodes": m.baseNodes, "blocks": m.net.Blocks}})
}

// Load reads a model saved by Save (or a training run's best.graft).
func Load(path string) (*Model, error) {
	f, err := graftfile.Load(path)
	if err != nil {
		return nil, err
	}
	m := &Model{net: &train.Network{Graph: f.Graph, Preprocess: f.Preprocess, Classes: f.Labels}}
	m.Arch, _ = f.Meta["arch"].(string)
	m.net.Feature, _ = f.Meta["feature_node"].(string)
	nodes := f.Graph.Nodes()
	if len(nodes) > 0 {
		m.net.Input = nodes[0]
	}
	if n, ok := f.Meta["base_nodes"].(float64); ok && n >= 1 && int(n) <= len(nodes) {
		m.baseNodes = int(n)
	} else {
		m.baseNodes = len(nodes)
	}
	if m.net.Feature == "" {
		m.net.Feature = nodes[m.baseNodes-1]
	}
	if bs, ok := f.Meta["blocks"].([]any); ok {
		for _, b := range bs {
			var block []string
			if names, ok := b.([]any); ok {
				for _, n := range names {
					if s, ok := n.(string); ok {
						block = append(block, s)
					}
				}
			}
			m.net.Blocks = append(m.net.Blocks, block)
		}
	}
	return m, nil
}

// BaseFromFile makes a base from any model file Graft reads (Graft, ONNX,
// TFLite, TF.js, Keras .h5/.keras, or a zoo name whose pretrained weights
// were pulled), keeping the file's preprocessing. Unless cutAt names a node,
// the base ends where the file's classifier begins: before a final Dense
// layer (and any softmax, reshape or dropout after it), or at the output
// when the file has no classifier, as an embedding extractor does.
func BaseFromFile(path, cutAt string) (*Model, error) {
	l, err := modelio.Open(path, modelio.Options{})
	if err != nil {
		return nil, err
	}
	if _, statErr := os.Stat(path); statErr != nil {
		if _, isZoo := zoo.Lookup(path); isZoo && !l.KerasApps {
			// A zoo name: the zoo's own base, blocks and all, with the
			// pulled weights. (Keras release weights keep Keras's graph.)
			m, err := NewBase(path, BaseOptions{CutAt: cutAt, InputSize: l.InputH})
			if err != nil {
				return nil, err
			}
			if err := copyByName(m.net.Graph, l.Graph); err != nil {
				return nil, fmt.Errorf("graft: %s weights: %w", path, err)
			}
			m.net.Preprocess = l.Preprocess
			return m, nil
		}
	}
	g := l.Graph
	nodes := g.Nodes()
	if len(g.Inputs()) != 1 || len(g.Outputs()) != 1 {
		return nil, fmt.Errorf("graft: %s: a base needs one input and one output, has %d and %d", path, len(g.Inputs()), len(g.Outputs()))
	}
	feature := cutAt
	if feature == "" {
		feature = classifierInput(g)
	}
	if _, ok := g.Layer(feature); !ok {
		return nil, fmt.Errorf("graft: %s has no node %q", path, feature)
	}
	base := nn.NewGraph()
	var blocks [][]string
	for _, name := range nodes {
		l, _ := g.Layer(name)
		ins, _ := g.NodeInputs(name)
		if l == nil {
			err = base.Input(name)
		} else {
			err = base.Add(name, l, ins...)
			// A block starts at every layer with weights of its own
			// (a convolution with its activation, a dense layer ...).
			if len(l.Params()) > 0 || len(blocks) == 0 {
				if _, isBN := l.(*nn.BatchNorm); !isBN || len(blocks) == 0 {
					blocks = append(blocks, nil)
				}
			}
			blocks[len(blocks)-1] = append(blocks[len(blocks)-1], name)
		}
		if err != nil {
			return nil, fmt.Errorf("graft: %s: %w", path, err)
		}
		if name == feature {
			break
		}
	}
	return &Model{Arch: path, baseNodes: len(base.Nodes()), net: &train.Network{Graph: base, Input: nodes[0], Feature: feature,
		Blocks: blocks, Preprocess: l.Preprocess}}, nil
}

// classifierInput returns the node feeding a graph's final classifier, or
// the output node when there is none: the input of a final Dense layer, or
// of a final 1x1 convolution, behind any softmax, reshape or dropout.
func classifierInput(g *nn.Graph) string {
	out := g.Outputs()[0]
	cur := out
	for {
		l, _ := g.Layer(cur)
		ins, _ := g.NodeInputs(cur)
		if l == nil || len(ins) != 1 {
			return out
		}
		switch l.(type) {
		case *nn.Softmax, *nn.Reshape, *nn.Dropout:
			cur = ins[0]
			continue
		case *nn.Dense:
			return ins[0]
		case *nn.Conv2D:
			// A 1x1 convolution reached through the softmax and reshapes
			// is a classifier on pooled features (TFLite MobileNets).
			if k := l.Params()[0].Value.Shape; len(k) == 4 && k[0] == 1 && k[1] == 1 && cur != out {
				return ins[0]
			}
		}
		return out
	}
}
