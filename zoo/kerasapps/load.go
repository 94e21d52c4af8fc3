package kerasapps

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/graft-ml/graft/formats/hdf5"
	"github.com/graft-ml/graft/formats/keras"
)

// WeightsOnly reports whether the HDF5 file at path is a Keras 2
// weight-only file (save_weights: a "layer_names" attribute at the root and
// no "model_config").
func WeightsOnly(path string) (bool, error) {
	f, err := hdf5.Open(path)
	if err != nil {
		return false, fmt.Errorf("kerasapps: %w", err)
	}
	defer f.Close()
	root, err := f.Root()
	if err != nil {
		return false, fmt.Errorf("kerasapps: %s: %w", path, err)
	}
	names, err := root.AttrNames()
	if err != nil {
		return false, fmt.Errorf("kerasapps: %s: %w", path, err)
	}
	return slices.Contains(names, "layer_names") && !slices.Contains(names, "model_config"), nil
}

// weightsFile is what detection reads of a weight-only file.
type weightsFile struct {
	path   string
	root   *hdf5.Group
	layers []string
	has    map[string]bool
}

// kernelShape returns the shape of a layer's first weight (its kernel).
func (w *weightsFile) kernelShape(layer string) ([]int, error) {
	g, err := w.root.Group(layer)
	if err != nil {
		return nil, fmt.Errorf("layer %q: %w", layer, err)
	}
	a, err := g.Attr("weight_names")
	if err != nil {
		return nil, fmt.Errorf("layer %q: weight_names: %w", layer, err)
	}
	names, err := a.Strings()
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("layer %q: no weights listed (%v)", layer, err)
	}
	ds, err := g.Dataset(names[0])
	if err != nil {
		return nil, fmt.Errorf("layer %q: weight %q: %w", layer, names[0], err)
	}
	return ds.Shape(), nil
}

// Detected is the architecture and options detection finds for a
// weight-only file.
type Detected struct {
	// Arch is the zoo name.
	Arch string
	// Options hold the top, classes, width and input size the file implies.
	Options Options
}

// knownLayers lists, for the error message, a layer each architecture has.
const knownLayers = "VGG16/19 (block1_conv1, block5_conv3), ResNet50/101/152 (conv1_conv, conv5_block3_out), " +
	"InceptionV3 (mixed10), MobileNet (conv_dw_1, conv_pw_13), MobileNetV2 (Conv1, block_16_project), " +
	"MobileNetV3Small/Large (Conv/BatchNorm, expanded_conv_10/project or expanded_conv_14/project), " +
	"EfficientNetB0-B3 (stem_conv, block1a_dwconv, top_conv)"

// Detect reads a weight-only Keras file's layer names and a few weight
// shapes and tells which architecture, top, classes and width multiplier
// it holds. The input size comes from the file name where Keras's release
// names carry one (mobilenet_2_5_128_tf.h5, ..._0.35_96.h5), from the
// classifier's shape for VGG with its top, and is otherwise the default.
func Detect(path string) (Detected, error) {
	f, err := hdf5.Open(path)
	if err != nil {
		return Detected{}, fmt.Errorf("kerasapps: %w", err)
	}
	defer f.Close()
	w, err := openWeights(f, path)
	if err != nil {
		return Detected{}, err
	}
	d, err := w.detect()
	if err != nil {
		return Detected{}, fmt.Errorf("kerasapps: %s: %w", path, err)
	}
	return d, nil
}

func openWeights(f *hdf5.File, path string) (*weightsFile, error) {
	root, err := f.Root()
	if err != nil {
		return nil, fmt.Errorf("kerasapps: %s: %w", path, err)
	}
	a, err := root.Attr("layer_names")
	if err != nil {
		return nil, fmt.Errorf("kerasapps: %s: not a Keras weight-only file (no layer_names attribute): %w", path, err)
	}
	layers, err := a.Strings()
	if err != nil {
		return nil, fmt.Errorf("kerasapps: %s: layer_names: %w", path, err)
	}
	w := &weightsFile{path: path, root: root, layers: layers, has: map[string]bool{}}
	for _, l := range layers {
		w.has[l] = true
	}
	return w, nil
}

func (w *weightsFile) detect() (Detected, error) {
	var d Detected
	var err error
	switch {
	case w.has["block1_conv1"] && w.has["block5_conv3"]:
		d, err = w.detectVGG()
	case w.has["conv1_conv"] && w.has["conv5_block3_out"] && !w.has["post_bn"]:
		d, err = w.detectResNet()
	case w.has["mixed10"] && w.has["mixed9_1"]:
		d = Detected{Arch: "inception_v3"}
		d.Options.IncludeTop = w.has["predictions"]
		d.Options.fileNames = autoNames(w.layers, "conv2d", "batch_normalization")
		if d.Options.IncludeTop {
			d.Options.Classes, err = w.denseClasses("predictions")
		}
	case w.has["conv_dw_1"] && w.has["conv_pw_13"]:
		d, err = w.detectMobileNet()
	case w.has["Conv1"] && w.has["block_16_project"]:
		d, err = w.detectMobileNetV2()
	case w.has["Conv"] && w.has["Conv/BatchNorm"] && w.has["expanded_conv/depthwise"]:
		d, err = w.detectMobileNetV3()
	case w.has["stem_conv"] && w.has["block1a_dwconv"] && w.has["top_conv"]:
		d, err = w.detectEfficientNet()
	default:
		return d, fmt.Errorf("weight-only Keras file: layer names match no known architecture; known: %s (the file's first layers: %s)",
			knownLayers, strings.Join(w.layers[:min(len(w.layers), 6)], ", "))
	}
	if err != nil {
		return d, fmt.Errorf("weight-only Keras file (%s): %w", d.Arch, err)
	}
	return d, nil
}

// kernelLast reads the last axis of a layer's kernel, which must have the
// rank of want (the expected layout, for the error).
func (w *weightsFile) kernelLast(layer string, rank int, want string) (int, error) {
	s, err := w.kernelShape(layer)
	if err != nil {
		return 0, err
	}
	if len(s) != rank || s[rank-1] < 1 {
		return 0, fmt.Errorf("layer %q: kernel shape %v is not %s", layer, s, want)
	}
	return s[rank-1], nil
}

// denseClasses reads the classes from a Dense kernel [in, classes].
func (w *weightsFile) denseClasses(layer string) (int, error) {
	return w.kernelLast(layer, 2, "[in, classes]")
}

func (w *weightsFile) detectVGG() (Detected, error) {
	d := Detected{Arch: "vgg16"}
	if w.has["block5_conv4"] {
		d.Arch = "vgg19"
	}
	if !w.has["fc1"] {
		return d, nil
	}
	d.Options.IncludeTop = true
	s, err := w.kernelShape("fc1")
	if err != nil {
		return d, err
	}
	// fc1 reads the flattened (H/32) x (W/32) x 512 map; a square input
	// is assumed.
	if len(s) != 2 || s[0]%512 != 0 {
		return d, fmt.Errorf("layer \"fc1\": kernel shape %v is not [(H/32)*(W/32)*512, units]", s)
	}
	side := int(math.Round(math.Sqrt(float64(s[0] / 512))))
	if side < 1 || side*side*512 != s[0] {
		return d, fmt.Errorf("layer \"fc1\": kernel shape %v: %d inputs are not a square map of 512 channels", s, s[0])
	}
	d.Options.InputH, d.Options.InputW = side*32, side*32
	d.Options.Classes, err = w.denseClasses("predictions")
	return d, err
}

func (w *weightsFile) detectResNet() (Detected, error) {
	d := Detected{Arch: "resnet50"}
	switch {
	case w.has["conv4_block36_out"]:
		d.Arch = "resnet152"
	case w.has["conv4_block23_out"]:
		d.Arch = "resnet101"
	}
	var err error
	if w.has["predictions"] {
		d.Options.IncludeTop = true
		d.Options.Classes, err = w.denseClasses("predictions")
	}
	return d, err
}

// widthOf finds the released width multiplier for which width(alpha)
// gives got channels.
func widthOf(alphas []float64, got int, width func(float64) int, layer string) (float64, error) {
	for _, a := range alphas {
		if width(a) == got {
			return a, nil
		}
	}
	return 0, fmt.Errorf("layer %q: %d channels match no width multiplier (%v)", layer, got, alphas)
}

// sizeInName finds the input size in a Keras release file name:
// mobilenet_<alpha>_<size>_tf(_no_top).h5 or
// mobilenet_v2_weights_tf_dim_ordering_tf_kernels_<alpha>_<size>(_no_top).h5.
var sizeInName = regexp.MustCompile(`^mobilenet_(?:\d_\d|v2_weights_tf_dim_ordering_tf_kernels_\d\.\d+)_(\d+)(?:_tf)?(?:_no_top)?\.h5$`)

func (w *weightsFile) sizeFromName() int {
	m := sizeInName.FindStringSubmatch(filepath.Base(w.path))
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 32 || n > 1024 {
		return 0
	}
	return n
}

func (w *weightsFile) detectMobileNet() (Detected, error) {
	d := Detected{Arch: "mobilenet"}
	var err error
	if d.Options.Alpha, err = w.alphaOf(d.Arch, "conv1", func(al float64) int { return int(32 * al) }); err != nil {
		return d, err
	}
	if w.has["conv_preds"] {
		d.Options.IncludeTop = true
		if d.Options.Classes, err = w.convOut("conv_preds"); err != nil {
			return d, err
		}
	}
	d.Options.InputH = w.sizeFromName()
	d.Options.InputW = d.Options.InputH
	return d, nil
}

func (w *weightsFile) detectMobileNetV2() (Detected, error) {
	d := Detected{Arch: "mobilenet_v2"}
	var err error
	width := func(al float64) int { return makeDivisible(float64(int(320*al)), 8) }
	if d.Options.Alpha, err = w.alphaOf(d.Arch, "block_16_project", width); err != nil {
		return d, err
	}
	if w.has["predictions"] {
		d.Options.IncludeTop = true
		if d.Options.Classes, err = w.denseClasses("predictions"); err != nil {
			return d, err
		}
	}
	d.Options.InputH = w.sizeFromName()
	d.Options.InputW = d.Options.InputH
	return d, nil
}

// alphaOf finds the released width multiplier of the architecture for
// which width(alpha) is the filters of the layer's convolution kernel.
func (w *weightsFile) alphaOf(arch, layer string, width func(float64) int) (float64, error) {
	out, err := w.convOut(layer)
	if err != nil {
		return 0, err
	}
	a, _ := lookup(arch)
	return widthOf(a.alphas, out, width, layer)
}

// convOut reads the filters of a Conv2D kernel [kh, kw, in, filters].
func (w *weightsFile) convOut(layer string) (int, error) {
	return w.kernelLast(layer, 4, "[kh, kw, in, filters]")
}

// detectMobileNetV3 tells Small (11 blocks) from Large (15), the
// minimalistic variant (no squeeze-and-excite) and the width multiplier
// (the last block's projection). The input size is the default, 224.
func (w *weightsFile) detectMobileNetV3() (Detected, error) {
	d := Detected{Arch: "mobilenet_v3_small"}
	last, filters := "expanded_conv_10/project", 96
	switch {
	case w.has["expanded_conv_14/project"]:
		d.Arch, last, filters = "mobilenet_v3_large", "expanded_conv_14/project", 160
	case !w.has[last] || w.has["expanded_conv_11/project"]:
		return d, fmt.Errorf("%d-block MobileNetV3: Keras builds 11 (Small) or 15 (Large)", w.countPrefixed("expanded_conv", "/project"))
	}
	d.Options.Minimalistic = !w.has["expanded_conv_3/squeeze_excite/Conv"]
	var err error
	width := func(al float64) int { return makeDivisible(float64(filters)*al, 8) }
	if d.Options.Alpha, err = w.alphaOf(d.Arch, last, width); err != nil {
		return d, err
	}
	if w.has["Logits"] {
		d.Options.IncludeTop = true
		d.Options.Classes, err = w.convOut("Logits")
	}
	return d, err
}

// countPrefixed counts the file's layers named prefix, prefix_<n>, with
// the suffix.
func (w *weightsFile) countPrefixed(prefix, suffix string) int {
	n := 0
	for _, l := range w.layers {
		if strings.HasPrefix(l, prefix) && strings.HasSuffix(l, suffix) {
			n++
		}
	}
	return n
}

// detectEfficientNet finds the variant whose top_conv width and blocks per
// stage the file has, and reads the classes. The Normalization layer's
// name (normalization, normalization_1 ...) is the file's. The input size
// is the variant's default (224, 240, 260, 300).
func (w *weightsFile) detectEfficientNet() (Detected, error) {
	d := Detected{Arch: "efficientnet"}
	top, err := w.convOut("top_conv")
	if err != nil {
		return d, err
	}
	for _, name := range []string{"efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3"} {
		s := effVariants[name]
		if s.filters(1280) != top || !w.hasStages(s) {
			continue
		}
		d.Arch = name
		d.Options.fileNames = autoNames(w.layers, "normalization")
		if w.has["predictions"] {
			d.Options.IncludeTop = true
			d.Options.Classes, err = w.denseClasses("predictions")
		}
		return d, err
	}
	return d, fmt.Errorf("layer \"top_conv\": %d filters and the blocks per stage match none of EfficientNetB0-B3", top)
}

// hasStages reports whether the file has exactly the blocks per stage of
// the scaling: block1a ... block7<last>, none beyond.
func (w *weightsFile) hasStages(s effScaling) bool {
	for i, st := range effStages {
		r := s.repeats(st.repeats)
		if !w.has[fmt.Sprintf("block%d%c_dwconv", i+1, 'a'+r-1)] || w.has[fmt.Sprintf("block%d%c_dwconv", i+1, 'a'+r)] {
			return false
		}
	}
	return true
}

// Load opens a weight-only Keras file (save_weights's HDF5 layout, as
// Keras's release files are), detects its architecture (see Detect),
// builds the keras.applications model for it and loads the weights by
// layer name. From opt, only what the file does not fix is used: the input
// size (when detection found none), Pooling (without the top) and Logits.
// Errors name the file, and for a missing layer or a wrong shape the layer
// and the weight.
func Load(path string, opt Options) (*Model, error) {
	d, err := Detect(path)
	if err != nil {
		return nil, err
	}
	o := d.Options
	if o.InputH == 0 && o.InputW == 0 {
		o.InputH, o.InputW = opt.InputH, opt.InputW
	}
	if !o.IncludeTop {
		o.Pooling = opt.Pooling
	}
	o.Logits = opt.Logits
	a, _ := lookup(d.Arch)
	if o, err = a.resolve(o); err != nil {
		return nil, fmt.Errorf("kerasapps: %s: %w", path, err)
	}
	m, err := a.buildModel(o)
	if err != nil {
		return nil, fmt.Errorf("kerasapps: %s: %w", path, err)
	}
	if err := keras.LoadWeightsH5(m.Net, path); err != nil {
		return nil, fmt.Errorf("kerasapps: %s weights: %w", a.keras, err)
	}
	m.Net.Format = "h5 weights"
	return m, nil
}
