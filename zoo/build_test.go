package zoo

import (
	"strings"
	"testing"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// TestParamCounts builds every model with its 1000-class top and checks the
// parameter count against the spec (torchvision's published num_params,
// Keras's for MobileNet V1; Inception V3 without its auxiliary classifier).
func TestParamCounts(t *testing.T) {
	for _, s := range List() {
		if testing.Short() && (s.Family == "vgg" || s.Name == "resnet152") {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			m, err := Build(s.Name, Options{IncludeTop: true, InputH: 64, InputW: 64, Seed: 1})
			if s.MinSize > 64 {
				m, err = Build(s.Name, Options{IncludeTop: true, Seed: 1})
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := m.ParamCount(); got != s.Params {
				t.Errorf("%d parameters, want %d", got, s.Params)
			}
		})
	}
}

// TestMobileNetV2Small checks the demo's configuration: width 0.35 and 0.5
// at 32x32, forward shapes and parameter counts (torchvision's
// mobilenet_v2(width_mult=...)).
func TestMobileNetV2Small(t *testing.T) {
	for _, c := range []struct {
		width  float64
		params int
	}{{0.35, 1677128}, {0.5, 1968680}} {
		m, err := Build("mobilenet_v2", Options{IncludeTop: true, InputH: 32, InputW: 32, Width: c.width})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.ParamCount(); got != c.params {
			t.Errorf("width %v: %d parameters, want %d", c.width, got, c.params)
		}
		x := tensor.New(4, 32, 32, 3)
		for i := range x.Data {
			x.Data[i] = float32(i%7) / 7
		}
		out, err := m.Graph.Forward([]*tensor.Tensor{x}, false)
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.EqualShapes(out[0].Shape, []int{4, 1000}) {
			t.Errorf("width %v: output %v, want [4 1000]", c.width, out[0].Shape)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  Options
		want string
	}{
		{"nosuch", Options{}, "unknown model"},
		{"inception_v3", Options{InputH: 74, InputW: 80}, "minimum is 75x75"},
		{"vgg16", Options{InputH: 16, InputW: 16}, "minimum is 32x32"},
		{"resnet18", Options{Pooling: "sum"}, "pooling"},
		{"resnet18", Options{IncludeTop: true, Pooling: "avg"}, "only without the top"},
		{"resnet18", Options{Width: 0.5}, "width multiplier"},
		{"mobilenet_v2", Options{Width: -1}, "must be positive"},
		{"resnet18", Options{Classes: -3}, "classes"},
		{"resnet18", Options{BNConvention: 7}, "convention"},
	} {
		_, err := Build(c.name, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Build(%q, %+v) = %v, want an error containing %q", c.name, c.opt, err, c.want)
		}
	}
}

// TestMobileNetV1KerasCount checks MobileNet V1 (alpha 1, with top) against
// Keras's published total of 4,253,864, which counts the BatchNorm moving
// statistics, and its feature shapes at 224 and at alpha 0.5, 128.
func TestMobileNetV1KerasCount(t *testing.T) {
	m, err := Build("mobilenet", Options{IncludeTop: true})
	if err != nil {
		t.Fatal(err)
	}
	total := m.ParamCount()
	for _, p := range m.Graph.State() {
		total += p.Value.Size()
	}
	if total != 4253864 {
		t.Errorf("%d parameters with BatchNorm statistics, want 4253864", total)
	}
	for _, c := range []struct {
		width float64
		size  int
		want  []int
	}{{1, 224, []int{1, 7, 7, 1024}}, {0.5, 128, []int{1, 4, 4, 512}}, {0.25, 32, []int{1, 1, 1, 256}}} {
		m, err := Build("mobilenet", Options{Width: c.width, InputH: c.size, InputW: c.size})
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.Graph.Forward([]*tensor.Tensor{tensor.New(1, c.size, c.size, 3)}, false)
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.EqualShapes(out[0].Shape, c.want) {
			t.Errorf("width %v at %d: features %v, want %v", c.width, c.size, out[0].Shape, c.want)
		}
	}
}

// TestBNConvention checks the BatchNorm epsilon and momentum each
// convention gives.
func TestBNConvention(t *testing.T) {
	for _, c := range []struct {
		name, node string
		conv       BNConvention
		eps, mom   float64
	}{
		{"resnet18", "bn1", BNTorch, 1e-5, 0.1},
		{"resnet50", "bn1", BNKeras, 1.001e-5, 0.99},
		{"inception_v3", "Conv2d_1a_3x3.bn", BNTorch, 1e-3, 0.1},
		{"mobilenet_v3_small", "features.0.1", BNTorch, 1e-3, 0.01},
		{"mobilenet_v2", "features.0.1", BNKeras, 1e-3, 0.999},
		{"efficientnet_b0", "features.0.1", BNKeras, 1e-3, 0.99},
	} {
		m, err := Build(c.name, Options{BNConvention: c.conv, InputH: 96, InputW: 96})
		if err != nil {
			t.Fatal(err)
		}
		l, _ := m.Graph.Layer(c.node)
		bn := l.(*nn.BatchNorm)
		if bn.Epsilon() != c.eps || bn.Momentum() != c.mom {
			t.Errorf("%s %s: eps %g momentum %g, want %g %g", c.name, c.node, bn.Epsilon(), bn.Momentum(), c.eps, c.mom)
		}
	}
}

// TestSeed checks that Seed makes the initial weights reproducible.
func TestSeed(t *testing.T) {
	kernel := func(seed uint64) []float32 {
		m, err := Build("resnet18", Options{Seed: seed, InputH: 32, InputW: 32})
		if err != nil {
			t.Fatal(err)
		}
		l, _ := m.Graph.Layer("layer3.1.conv2")
		return l.(*nn.Conv2D).Kernel.Value.Data
	}
	a, b, c := kernel(7), kernel(7), kernel(8)
	if a[100] != b[100] || a[5000] != b[5000] {
		t.Errorf("seed 7 twice: %v %v, then %v %v", a[100], a[5000], b[100], b[5000])
	}
	if a[100] == c[100] && a[5000] == c[5000] {
		t.Errorf("seeds 7 and 8 give the same weights")
	}
}
