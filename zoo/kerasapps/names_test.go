package kerasapps

import (
	"slices"
	"testing"
)

// TestAutoNames checks that a file's auto-named layers are grouped by
// prefix in Keras's creation order, whichever numbering the file uses.
func TestAutoNames(t *testing.T) {
	got := autoNames([]string{"conv2d_10", "mixed0", "conv2d_2", "batch_normalization", "conv2d", "conv2d_1x", "batch_normalization_3"},
		"conv2d", "batch_normalization")
	if want := []string{"conv2d", "conv2d_2", "conv2d_10"}; !slices.Equal(got["conv2d"], want) {
		t.Errorf("conv2d: %v, want %v", got["conv2d"], want)
	}
	if want := []string{"batch_normalization", "batch_normalization_3"}; !slices.Equal(got["batch_normalization"], want) {
		t.Errorf("batch_normalization: %v, want %v", got["batch_normalization"], want)
	}
	if _, ok := got["mixed"]; ok {
		t.Errorf("mixed0 grouped: %v", got)
	}
}

// TestConfigNames checks the layer names of generated configs against
// keras.applications': Inception's counters (TF 2 numbering by default),
// MobileNetV2's correct_pad on odd sizes, and bad options.
func TestConfigNames(t *testing.T) {
	m, err := Build("inception_v3", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range m.Net.Layers {
		names = append(names, l.Name)
	}
	for _, want := range []string{"conv2d", "conv2d_93", "batch_normalization_93", "mixed9_1", "concatenate_1", "mixed10"} {
		if !slices.Contains(names, want) {
			t.Errorf("InceptionV3 has no layer %q", want)
		}
	}
	if slices.Contains(names, "conv2d_94") {
		t.Error("InceptionV3 has 95 convolutions, Keras has 94")
	}
	v2, err := Build("MobileNetV2", Options{InputH: 72, InputW: 72, Alpha: 0.35})
	if err != nil {
		t.Fatal(err)
	}
	pads := map[string][]int{}
	for _, l := range v2.Net.Layers {
		if l.Class == "ZeroPadding2D" {
			pads[l.Name] = l.OutputShape
		}
	}
	// 36 (even) pads (0, 1) to 37; 9 (odd) pads (1, 1) to 11.
	if got := pads["block_1_pad"]; !slices.Equal(got, []int{37, 37, 48}) {
		t.Errorf("block_1_pad output %v, want [37 37 48]", got)
	}
	if got := pads["block_6_pad"]; !slices.Equal(got, []int{11, 11, 96}) {
		t.Errorf("block_6_pad output %v, want [11 11 96]", got)
	}
	// MobileNetV3Large at 67: Keras 2's names, correct_pad of 5x5
	// depthwise inputs (17 is odd: (2, 2) to 21), hard sigmoid as
	// Rescaling, ReLU(6.), Rescaling.
	v3, err := Build("mobilenet_v3_large", Options{InputH: 67, InputW: 67, IncludeTop: true})
	if err != nil {
		t.Fatal(err)
	}
	layers := map[string][]int{}
	classes := map[string]string{}
	for _, l := range v3.Net.Layers {
		layers[l.Name], classes[l.Name] = l.OutputShape, l.Class
	}
	for name, want := range map[string][]int{
		"expanded_conv_3/depthwise/pad":          {21, 21, 72},
		"expanded_conv_12/depthwise/pad":         {9, 9, 672},
		"expanded_conv_14/squeeze_excite/Mul":    {3, 3, 960},
		"expanded_conv_14/Add":                   {3, 3, 160},
		"Conv_1/BatchNorm":                       {3, 3, 960},
		"Logits":                                 {1, 1, 1000},
		"Predictions":                            {1000},
		"expanded_conv_3/squeeze_excite/AvgPool": {1, 1, 72},
	} {
		if got, ok := layers[name]; !ok || !slices.Equal(got, want) {
			t.Errorf("MobileNetV3Large at 67: layer %q output %v (present %v), want %v", name, got, ok, want)
		}
	}
	if classes["tf.__operators__.add"] != "Rescaling" || classes["re_lu"] != "ReLU" || classes["multiply"] != "Multiply" {
		t.Errorf("MobileNetV3 hard swish layers: %s, %s, %s", classes["tf.__operators__.add"], classes["re_lu"], classes["multiply"])
	}
	for _, bad := range []struct {
		name string
		opt  Options
	}{
		{"resnet50", Options{Alpha: 0.5}},
		{"vgg16", Options{IncludeTop: true, Pooling: "avg"}},
		{"inception_v3", Options{InputH: 64, InputW: 64}},
		{"mobilenet", Options{Pooling: "min"}},
		{"efficientnet_b0", Options{Minimalistic: true}},
		{"efficientnet_b1", Options{Alpha: 0.75}},
		{"xception", Options{}},
	} {
		if _, err := Build(bad.name, bad.opt); err == nil {
			t.Errorf("%s %+v: built without error", bad.name, bad.opt)
		}
	}
}
