// Package kerasapps builds the keras.applications flavour of the zoo's
// architectures (VGG16/19, ResNet50/101/152, InceptionV3, MobileNet V1, V2
// and V3 Small/Large, EfficientNet B0-B3) and loads Keras's weight-only
// release files (such as resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5)
// onto them.
//
// Keras's architectures differ from torchvision's (ResNet v1 with the
// stride on the first 1x1 convolution and biased convolutions, MobileNet's
// asymmetric padding before stride-2 depthwise convolutions, Inception V3's
// BatchNorm without scale, VGG's flatten in NHWC order, MobileNetV3 and
// EfficientNet scaling their own [0, 255] input), and a weight-only file
// holds no config. So the package writes, in Go, the functional model
// config keras.applications would produce for the options, exactly as Keras
// names its layers, builds it with formats/keras, and fills it from the file
// by layer name.
package kerasapps

import (
	"fmt"
	"slices"
	"strings"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/formats/keras"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/zoo"
)

// Options configures a Keras-flavour model, as keras.applications'
// constructors do.
type Options struct {
	// IncludeTop keeps the ImageNet classifier.
	IncludeTop bool
	// Pooling is "", "avg" or "max": the global pooling after the base
	// when IncludeTop is false.
	Pooling string
	// Classes is the classifier's size (0 means 1000).
	Classes int
	// InputH and InputW are the input size (0 means the architecture's
	// default: 224, 299 for InceptionV3, 240, 260 and 300 for
	// EfficientNetB1, B2 and B3).
	InputH, InputW int
	// Alpha is the MobileNets' width multiplier (0 means 1).
	Alpha float64
	// Minimalistic is MobileNetV3's variant without squeeze-and-excite,
	// hard swish or 5x5 kernels.
	Minimalistic bool
	// Logits drops the classifier's softmax, so the model outputs logits.
	Logits bool

	// fileNames maps auto-named layer prefixes to a weights file's names.
	fileNames map[string][]string
}

// archFunc writes an architecture's layers and returns its input and output.
type archFunc func(n *net, o Options) (in, out tensor)

// arch is one keras.applications architecture.
type arch struct {
	name      string // the zoo's name
	keras     string // Keras's constructor and model name
	modelName func(o Options) string
	size      int       // default input size
	minSize   int       // smallest input size
	alphas    []float64 // the released width multipliers, nil for none
	caffe     bool      // Keras "caffe" preprocessing, else "tf"
	ownScale  bool      // the model scales its [0, 255] input itself
	build     archFunc
}

var archs = []arch{
	{name: "vgg16", keras: "VGG16", size: 224, minSize: 32, caffe: true, build: buildVGG([5]int{2, 2, 3, 3, 3})},
	{name: "vgg19", keras: "VGG19", size: 224, minSize: 32, caffe: true, build: buildVGG([5]int{2, 2, 4, 4, 4})},
	{name: "resnet50", keras: "ResNet50", size: 224, minSize: 32, caffe: true, build: buildResNet([4]int{3, 4, 6, 3})},
	{name: "resnet101", keras: "ResNet101", size: 224, minSize: 32, caffe: true, build: buildResNet([4]int{3, 4, 23, 3})},
	{name: "resnet152", keras: "ResNet152", size: 224, minSize: 32, caffe: true, build: buildResNet([4]int{3, 8, 36, 3})},
	{name: "inception_v3", keras: "InceptionV3", size: 299, minSize: 75, build: buildInceptionV3},
	{name: "mobilenet", keras: "MobileNet", size: 224, minSize: 32, alphas: []float64{0.25, 0.5, 0.75, 1},
		build: buildMobileNet, modelName: func(o Options) string { return fmt.Sprintf("mobilenet_%.2f_%d", o.Alpha, o.InputH) }},
	{name: "mobilenet_v2", keras: "MobileNetV2", size: 224, minSize: 32, alphas: []float64{0.35, 0.5, 0.75, 1, 1.3, 1.4},
		build: buildMobileNetV2, modelName: func(o Options) string { return fmt.Sprintf("mobilenetv2_%.2f_%d", o.Alpha, o.InputH) }},
	{name: "mobilenet_v3_small", keras: "MobileNetV3Small", size: 224, minSize: 32, alphas: []float64{0.75, 1}, ownScale: true,
		build: buildMobileNetV3(false), modelName: func(Options) string { return "MobilenetV3small" }},
	{name: "mobilenet_v3_large", keras: "MobileNetV3Large", size: 224, minSize: 32, alphas: []float64{0.75, 1}, ownScale: true,
		build: buildMobileNetV3(true), modelName: func(Options) string { return "MobilenetV3large" }},
	{name: "efficientnet_b0", keras: "EfficientNetB0", size: 224, minSize: 32, ownScale: true, build: buildEfficientNet(effVariants["efficientnet_b0"])},
	{name: "efficientnet_b1", keras: "EfficientNetB1", size: 240, minSize: 32, ownScale: true, build: buildEfficientNet(effVariants["efficientnet_b1"])},
	{name: "efficientnet_b2", keras: "EfficientNetB2", size: 260, minSize: 32, ownScale: true, build: buildEfficientNet(effVariants["efficientnet_b2"])},
	{name: "efficientnet_b3", keras: "EfficientNetB3", size: 300, minSize: 32, ownScale: true, build: buildEfficientNet(effVariants["efficientnet_b3"])},
}

// Names returns the zoo names of the architectures this package builds.
func Names() []string {
	out := make([]string, len(archs))
	for i, a := range archs {
		out[i] = a.name
	}
	return out
}

func lookup(name string) (arch, error) {
	i := slices.IndexFunc(archs, func(a arch) bool {
		return strings.EqualFold(a.name, name) || strings.EqualFold(a.keras, name)
	})
	if i < 0 {
		return arch{}, fmt.Errorf("kerasapps: unknown architecture %q (have %s)", name, strings.Join(Names(), ", "))
	}
	return archs[i], nil
}

// resolve fills the defaults and checks the options.
func (a arch) resolve(o Options) (Options, error) {
	if o.Classes == 0 {
		o.Classes = 1000
	}
	if o.InputH == 0 {
		o.InputH = a.size
	}
	if o.InputW == 0 {
		o.InputW = a.size
	}
	if o.Alpha == 0 {
		o.Alpha = 1
	}
	switch {
	case o.Classes < 0:
		return o, fmt.Errorf("kerasapps: %s: %d classes: must be positive", a.keras, o.Classes)
	case o.InputH < a.minSize || o.InputW < a.minSize:
		return o, fmt.Errorf("kerasapps: %s: input %dx%d is too small: the minimum is %dx%d", a.keras, o.InputH, o.InputW, a.minSize, a.minSize)
	case o.InputH > 1<<14 || o.InputW > 1<<14:
		return o, fmt.Errorf("kerasapps: %s: input %dx%d is too large", a.keras, o.InputH, o.InputW)
	case o.Pooling != "" && o.Pooling != "avg" && o.Pooling != "max":
		return o, fmt.Errorf("kerasapps: %s: pooling %q: want \"\", \"avg\" or \"max\"", a.keras, o.Pooling)
	case o.IncludeTop && o.Pooling != "":
		return o, fmt.Errorf("kerasapps: %s: pooling %q applies only without the top", a.keras, o.Pooling)
	case o.Alpha != 1 && a.alphas == nil:
		return o, fmt.Errorf("kerasapps: %s: a width multiplier (%v) applies only to the MobileNets", a.keras, o.Alpha)
	case !(o.Alpha > 0 && o.Alpha <= 4):
		return o, fmt.Errorf("kerasapps: %s: width multiplier %v: want a value in (0, 4]", a.keras, o.Alpha)
	case o.Minimalistic && !strings.HasPrefix(a.name, "mobilenet_v3"):
		return o, fmt.Errorf("kerasapps: %s: the minimalistic variant applies only to MobileNetV3", a.keras)
	}
	return o, nil
}

// Config returns the Keras functional model config (Keras 2 JSON) that
// keras.applications' constructor for the architecture writes with these
// options; name is a zoo name ("resnet50") or Keras's ("ResNet50").
func Config(name string, opt Options) ([]byte, error) {
	a, err := lookup(name)
	if err != nil {
		return nil, err
	}
	o, err := a.resolve(opt)
	if err != nil {
		return nil, err
	}
	return a.config(o)
}

func (a arch) config(o Options) ([]byte, error) {
	modelName := strings.ToLower(a.keras)
	if a.modelName != nil {
		modelName = a.modelName(o)
	}
	n := newNet(modelName, o.fileNames)
	in, out := a.build(n, o)
	cfg, err := n.config(in, out)
	if err != nil {
		return nil, fmt.Errorf("kerasapps: %s: %w", a.keras, err)
	}
	return cfg, nil
}

// Model is a Keras-flavour architecture built as a graph.
type Model struct {
	// Arch is the zoo name ("resnet50"), Keras the constructor ("ResNet50").
	Arch, Keras string
	// Options are the resolved options the model was built with.
	Options Options
	// Net is the imported Keras model: graph, layers, shapes.
	Net *keras.Model
	// Graph runs the model on NHWC float32 input (Net.Graph).
	Graph *nn.Graph
	// InputH and InputW are the input size.
	InputH, InputW int
	// Preprocess is Keras's preprocessing for the architecture ("caffe":
	// BGR with the ImageNet mean subtracted, "tf": [-1, 1], or the [0, 255]
	// values for MobileNetV3 and EfficientNet, which scale their input
	// themselves) at the input size.
	Preprocess data.Preprocess
	// Labels are the ImageNet class names with the 1000-class top, else nil.
	Labels []string
	// Sources are the Keras release files of the architecture, from the zoo.
	Sources []zoo.WeightSource
}

// Build constructs the named architecture as keras.applications would,
// with zero weights; name is a zoo name or Keras's constructor name.
func Build(name string, opt Options) (*Model, error) {
	a, err := lookup(name)
	if err != nil {
		return nil, err
	}
	o, err := a.resolve(opt)
	if err != nil {
		return nil, err
	}
	return a.buildModel(o)
}

func (a arch) buildModel(o Options) (*Model, error) {
	cfg, err := a.config(o)
	if err != nil {
		return nil, err
	}
	km, err := keras.FromConfig(cfg, "2.2.4")
	if err != nil {
		return nil, fmt.Errorf("kerasapps: %s: %w", a.keras, err)
	}
	m := &Model{Arch: a.name, Keras: a.keras, Options: o, Net: km, Graph: km.Graph, InputH: o.InputH, InputW: o.InputW}
	m.Options.fileNames = nil
	switch {
	case a.caffe:
		m.Preprocess = data.KerasCaffePreprocess(o.InputH)
	case a.ownScale:
		m.Preprocess = rawPreprocess(o.InputH)
	default:
		m.Preprocess = data.KerasTFPreprocess(o.InputH)
	}
	m.Preprocess.Width = o.InputW
	if o.IncludeTop && o.Classes == 1000 {
		m.Labels = zoo.ImageNetLabels()
	}
	m.Sources = Sources(a.name)
	return m, nil
}

// rawPreprocess squashes the image to size and keeps its [0, 255] values:
// (x/255 - 0) / (1/255).
func rawPreprocess(size int) data.Preprocess {
	p := data.KerasTFPreprocess(size)
	p.Scale = data.ScaleMeanStd
	p.Mean = [3]float32{}
	p.Std = [3]float32{1.0 / 255, 1.0 / 255, 1.0 / 255}
	return p
}

// Sources returns the Keras release files the zoo lists for an
// architecture (zoo name), with their URLs and md5 digests where Keras
// publishes one.
func Sources(name string) []zoo.WeightSource {
	spec, ok := zoo.Lookup(name)
	if !ok {
		return nil
	}
	var out []zoo.WeightSource
	for _, s := range spec.Sources {
		if s.Format == "keras" {
			out = append(out, s)
		}
	}
	return out
}

// Describe names the model as keras.applications would build it, such as
// "keras.applications MobileNetV2 (alpha 0.35, no top, 224x224)".
func (m *Model) Describe() string {
	var parts []string
	if m.Options.Alpha != 1 {
		parts = append(parts, fmt.Sprintf("alpha %g", m.Options.Alpha))
	}
	if m.Options.Minimalistic {
		parts = append(parts, "minimalistic")
	}
	if m.Options.IncludeTop {
		parts = append(parts, fmt.Sprintf("top with %d classes", m.Options.Classes))
	} else {
		parts = append(parts, "no top")
	}
	parts = append(parts, fmt.Sprintf("%dx%d", m.InputH, m.InputW))
	return fmt.Sprintf("keras.applications %s (%s)", m.Keras, strings.Join(parts, ", "))
}
