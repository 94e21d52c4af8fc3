package zoo

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

func forward(t *testing.T, m *Model, n int) *tensor.Tensor {
	t.Helper()
	x := tensor.New(n, m.InputH, m.InputW, 3)
	for i := range x.Data {
		x.Data[i] = float32(math.Sin(float64(i)))
	}
	out, err := m.Graph.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

// TestFeatureShapes checks the base's output and the pooled output of each
// family at a small, non-square input.
func TestFeatureShapes(t *testing.T) {
	for _, c := range []struct {
		name string
		h, w int
		feat []int
	}{
		{"resnet18", 40, 72, []int{1, 2, 3, 512}},
		{"resnet50", 64, 64, []int{1, 2, 2, 2048}},
		{"mobilenet_v2", 32, 32, []int{1, 1, 1, 1280}},
		{"mobilenet_v3_small", 64, 96, []int{1, 2, 3, 576}},
		{"efficientnet_b0", 64, 64, []int{1, 2, 2, 1280}},
		{"inception_v3", 75, 75, []int{1, 1, 1, 2048}},
		{"inception_v3", 299, 299, []int{1, 8, 8, 2048}},
		{"mobilenet", 96, 64, []int{1, 3, 2, 1024}},
	} {
		if testing.Short() && c.h > 100 {
			continue
		}
		m, err := Build(c.name, Options{InputH: c.h, InputW: c.w})
		if err != nil {
			t.Fatal(err)
		}
		if got := forward(t, m, 1).Shape; !tensor.EqualShapes(got, c.feat) {
			t.Errorf("%s at %dx%d: features %v, want %v", c.name, c.h, c.w, got, c.feat)
		}
		if m.Graph.Outputs()[0] != m.FeatureNode || len(m.Head) != 0 {
			t.Errorf("%s: output %v, feature node %q, head %v", c.name, m.Graph.Outputs(), m.FeatureNode, m.Head)
		}
		if c.name != "resnet18" && c.name != "mobilenet" {
			continue
		}
		for _, pool := range []string{"avg", "max"} {
			m, err := Build(c.name, Options{InputH: c.h, InputW: c.w, Pooling: pool})
			if err != nil {
				t.Fatal(err)
			}
			if got := forward(t, m, 2).Shape; !tensor.EqualShapes(got, []int{2, c.feat[3]}) {
				t.Errorf("%s pooling %s: output %v, want [2 %d]", c.name, pool, got, c.feat[3])
			}
		}
	}
}

// TestSummaryShapes checks the output shapes Graph.Summary reports after a
// forward pass of ResNet-18 at 64x64.
func TestSummaryShapes(t *testing.T) {
	m, err := Build("resnet18", Options{IncludeTop: true, Classes: 10, InputH: 64, InputW: 64})
	if err != nil {
		t.Fatal(err)
	}
	forward(t, m, 2)
	s := m.Graph.Summary()
	for node, shape := range map[string]string{
		"conv1": "[2 32 32 64]", "maxpool": "[2 16 16 64]", "layer2.0.downsample.1": "[2 8 8 128]",
		"layer4.1.relu": "[2 2 2 512]", "avgpool": "[2 512]", "fc": "[2 10]",
	} {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(node) + `\s+\S+\s+` + regexp.QuoteMeta(shape))
		if !re.MatchString(s) {
			t.Errorf("summary lacks %s with output %s:\n%s", node, shape, s)
		}
	}
	if !strings.Contains(s, "11181642 trainable") {
		t.Errorf("summary totals: want 11181642 trainable (resnet18 with 10 classes):\n%s", s[len(s)-200:])
	}
}

// TestBlocks checks the stage lists used to unfreeze the last N blocks.
func TestBlocks(t *testing.T) {
	for _, c := range []struct {
		name        string
		n           int
		first, last string
	}{
		{"resnet50", 17, "stem", "layer4.2"},
		{"vgg16", 5, "block1", "block5"},
		{"mobilenet_v2", 19, "features.0", "features.18"},
		{"mobilenet_v3_large", 17, "features.0", "features.16"},
		{"efficientnet_b0", 18, "features.0", "features.8"},
		{"inception_v3", 12, "stem", "Mixed_7c"},
		{"mobilenet", 14, "conv1", "conv_dw_13"},
	} {
		if testing.Short() && c.name == "vgg16" {
			continue
		}
		m, err := Build(c.name, Options{IncludeTop: true, InputH: 96, InputW: 96})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Blocks) != c.n || m.Blocks[0].Name != c.first || m.Blocks[len(m.Blocks)-1].Name != c.last {
			var names []string
			for _, b := range m.Blocks {
				names = append(names, b.Name)
			}
			t.Errorf("%s: blocks %v, want %d from %s to %s", c.name, names, c.n, c.first, c.last)
		}
		// Every node but the input is in exactly one block or the head.
		seen := map[string]int{}
		for _, b := range m.Blocks {
			for _, n := range b.Nodes {
				seen[n]++
			}
		}
		for _, n := range m.Head {
			seen[n]++
		}
		for _, n := range m.Graph.Nodes()[1:] {
			if seen[n] != 1 {
				t.Errorf("%s: node %q is in %d blocks", c.name, n, seen[n])
			}
		}
		last := m.Blocks[len(m.Blocks)-1].Nodes
		if last[len(last)-1] != m.FeatureNode {
			t.Errorf("%s: last block ends at %q, feature node is %q", c.name, last[len(last)-1], m.FeatureNode)
		}
	}
}

// TestKerasNames checks that every weighted layer of a model Keras has
// carries a Keras name, unique within the model, and spot-checks names.
func TestKerasNames(t *testing.T) {
	for _, c := range []struct {
		name  string
		pairs map[string]string
	}{
		{"resnet50", map[string]string{"conv1": "conv1_conv", "layer1.0.downsample.0": "conv2_block1_0_conv",
			"layer3.5.bn3": "conv4_block6_3_bn", "fc": "predictions"}},
		{"mobilenet_v2", map[string]string{"features.0.0": "Conv1", "features.1.conv.0.0": "expanded_conv_depthwise",
			"features.2.conv.0.1": "block_1_expand_BN", "features.17.conv.3": "block_16_project_BN", "features.18.0": "Conv_1"}},
		{"mobilenet_v3_small", map[string]string{"features.1.block.1.fc1": "expanded_conv_squeeze_excite_conv",
			"features.2.block.0.0": "expanded_conv_1_expand", "features.12.0": "conv_1", "classifier.3": "logits"}},
		{"efficientnet_b0", map[string]string{"features.1.0.block.0.0": "block1a_dwconv", "features.2.1.block.0.0": "block2b_expand_conv",
			"features.6.3.block.2.fc2": "block6d_se_expand", "features.8.0": "top_conv"}},
		{"inception_v3", map[string]string{"Conv2d_1a_3x3.conv": "conv2d_1", "Mixed_7c.branch_pool.bn": "batch_normalization_94"}},
		{"mobilenet", map[string]string{"conv_dw_13": "conv_dw_13", "conv_preds": "conv_preds"}},
	} {
		m, err := Build(c.name, Options{IncludeTop: true, InputH: 96, InputW: 96})
		if err != nil {
			t.Fatal(err)
		}
		for g, k := range c.pairs {
			if m.KerasNames[g] != k {
				t.Errorf("%s: Keras name of %q is %q, want %q", c.name, g, m.KerasNames[g], k)
			}
		}
		used := map[string]string{}
		for _, n := range m.Graph.Nodes() {
			l, _ := m.Graph.Layer(n)
			switch l.(type) {
			case *nn.Conv2D, *nn.DepthwiseConv2D, *nn.BatchNorm, *nn.Dense:
			default:
				continue
			}
			k, ok := m.KerasNames[n]
			if !ok && !(c.name == "mobilenet_v3_small" && strings.HasPrefix(n, "classifier.")) {
				t.Errorf("%s: %q has no Keras name", c.name, n)
			}
			if prev, dup := used[k]; ok && dup {
				t.Errorf("%s: %q and %q share Keras name %q", c.name, prev, n, k)
			}
			used[k] = n
		}
	}
	m, err := Build("resnet18", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.KerasNames != nil {
		t.Errorf("resnet18 has Keras names, but Keras has no ResNet-18")
	}
}

func TestSpecs(t *testing.T) {
	specs := List()
	if len(specs) != 16 {
		t.Errorf("%d models, want 16", len(specs))
	}
	for _, s := range specs {
		if err := s.Preprocess.Validate(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
		if s.Preprocess.Height != s.DefaultSize {
			t.Errorf("%s: preprocess height %d, default size %d", s.Name, s.Preprocess.Height, s.DefaultSize)
		}
		if len(s.Sources) == 0 {
			t.Errorf("%s: no weight sources", s.Name)
		}
		for _, w := range s.Sources {
			switch {
			case w.Format == "torchvision":
				if !w.HashPrefix || w.HashKind != "sha256" || !strings.Contains(w.File, "-"+w.Hash+".pth") ||
					w.URL != "https://download.pytorch.org/models/"+w.File {
					t.Errorf("%s: torchvision source %+v", s.Name, w)
				}
			case w.Format == "keras":
				if !strings.HasSuffix(w.URL, "/"+w.File) || (w.Hash != "" && (len(w.Hash) != 32 || w.HashKind != "md5")) {
					t.Errorf("%s: keras source %+v", s.Name, w)
				}
			default:
				t.Errorf("%s: source format %q", s.Name, w.Format)
			}
		}
	}
	// torchvision resizes EfficientNet-B3 to 320 and crops 300.
	b3, _ := Lookup("efficientnet_b3")
	if r := b3.Preprocess.CropRatio; int(math.Floor(300/r)) != 320 {
		t.Errorf("efficientnet_b3: crop ratio %v resizes to %v, want 320", r, math.Floor(300/r))
	}
	inc, _ := Lookup("inception_v3")
	if inc.Preprocess.Mean != [3]float32{0.5, 0.5, 0.5} || inc.Preprocess.Scale != data.ScaleMeanStd {
		t.Errorf("inception_v3 preprocess %+v, want mean/std 0.5 (torchvision's transform_input)", inc.Preprocess)
	}
	labels := ImageNetLabels()
	if len(labels) != 1000 || labels[0] != "tench" || labels[999] != "toilet tissue" {
		t.Errorf("labels: %d, first %q, last %q", len(labels), labels[0], labels[len(labels)-1])
	}
	m, err := Build("mobilenet_v2", Options{IncludeTop: true, InputH: 32, InputW: 32, Width: 0.35})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Labels) != 1000 || m.Preprocess.Height != 32 {
		t.Errorf("model labels %d, preprocess height %d", len(m.Labels), m.Preprocess.Height)
	}
}
