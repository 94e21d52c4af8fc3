package kerasapps_test

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graft-ml/graft"
	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/formats/hdf5"
	"github.com/graft-ml/graft/modelio"
	"github.com/graft-ml/graft/tensor"
	"github.com/graft-ml/graft/zoo/kerasapps"
)

// python is Debian's interpreter, which has torch and h5py.
const python = "/usr/bin/python3"

// refCase is one entry of the generator's manifest.json.
type refCase struct {
	Arch    string  `json:"arch"`
	Alpha   float64 `json:"alpha"`
	Size    int     `json:"size"`
	Classes int     `json:"classes"`
	Top     string  `json:"top"`
	NoTop   string  `json:"notop"`
}

// generate runs testdata/gen_keras_apps.py for the cases into a temporary
// folder, skipping the test when torch or h5py is missing.
func generate(t *testing.T, cases ...string) (string, map[string]refCase) {
	t.Helper()
	if err := exec.Command(python, "-c", "import torch, h5py").Run(); err != nil {
		t.Skipf("skipping: %s cannot import torch and h5py (%v); install python3-torch and python3-h5py", python, err)
	}
	dir := t.TempDir()
	args := append([]string{filepath.Join("testdata", "gen_keras_apps.py"), dir}, cases...)
	if out, err := exec.Command(python, args...).CombinedOutput(); err != nil {
		t.Fatalf("gen_keras_apps.py: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man map[string]refCase
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	return dir, man
}

// readRef reads the named dataset of a reference file as a tensor.
func readRef(t *testing.T, path, name string) *tensor.Tensor {
	t.Helper()
	f, err := hdf5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	root, err := f.Root()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := root.Dataset(name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ds.ReadFloat32()
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(ds.Shape()...)
	copy(x.Data, v)
	return x
}

// relErr is max|a-b| / max|b|.
func relErr(a, b []float32) float64 {
	var num, den float64
	for i := range b {
		num = max(num, math.Abs(float64(a[i])-float64(b[i])))
		den = max(den, math.Abs(float64(b[i])))
	}
	return num / den
}

// compare runs g on x and checks its output against want within 1e-4
// relative error.
func compare(t *testing.T, what string, out, want *tensor.Tensor) {
	t.Helper()
	if !tensor.EqualShapes(out.Shape, want.Shape) {
		t.Fatalf("%s: output shape %v, want %v", what, out.Shape, want.Shape)
	}
	e := relErr(out.Data, want.Data)
	t.Logf("%s: relative error %.3g", what, e)
	if !(e <= 1e-4) {
		t.Errorf("%s: relative error %.3g > 1e-4", what, e)
	}
}

// TestKerasWeightsParity loads weight-only files written in Keras's layout
// from PyTorch implementations of the keras.applications architectures
// (random weights and BatchNorm statistics), through kerasapps.Load
// (logits) and modelio.Open (softmax with the top, the feature map
// without), and checks the outputs on a fixed input within 1e-4.
func TestKerasWeightsParity(t *testing.T) {
	cases := []string{"mobilenet", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0",
		"resnet50", "vgg16", "inception_v3"}
	if testing.Short() {
		cases = cases[:5]
	}
	dir, man := generate(t, cases...)
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			c := man[name]
			ref := filepath.Join(dir, name+".ref.h5")
			x := readRef(t, ref, "input")
			top := filepath.Join(dir, c.Top)

			m, err := kerasapps.Load(top, kerasapps.Options{InputH: c.Size, InputW: c.Size, Logits: true})
			if err != nil {
				t.Fatal(err)
			}
			if m.Arch != c.Arch || !m.Options.IncludeTop || m.Options.Classes != c.Classes ||
				m.Options.Alpha != c.Alpha || m.Options.Minimalistic || m.InputH != c.Size {
				t.Fatalf("detected %s %+v, want %s alpha %v top with %d classes at %d", m.Arch, m.Options, c.Arch, c.Alpha, c.Classes, c.Size)
			}
			out, err := m.Graph.Forward([]*tensor.Tensor{x}, false)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "logits", out[0], readRef(t, ref, "logits"))

			// Through modelio: the top with its softmax. The file name
			// gives MobileNet's input size, VGG's classifier fixes it; the
			// others default to 224 (299), and run on the smaller input.
			l, err := modelio.Open(top, modelio.Options{})
			if err != nil {
				t.Fatal(err)
			}
			wantPre := data.ScaleSymmetric
			ownScale := strings.HasPrefix(c.Arch, "mobilenet_v3") || strings.HasPrefix(c.Arch, "efficientnet")
			switch {
			case c.Arch == "resnet50" || c.Arch == "vgg16":
				wantPre = data.ScaleCaffe
			case ownScale:
				// The model scales its own input: the preprocessing keeps [0, 255].
				wantPre = data.ScaleMeanStd
				if v := preprocessed(t, l.Preprocess, 255); v != [3]float32{255, 255, 255} {
					t.Errorf("modelio: white preprocesses to %v, want 255", v)
				}
			}
			if l.Preprocess.Scale != wantPre || l.Labels != nil {
				t.Errorf("modelio: preprocessing scale %v (want %v), labels %d (want none for %d classes)", l.Preprocess.Scale, wantPre, len(l.Labels), c.Classes)
			}
			// correct_pad depends on each stride-2 input's parity: the
			// default-size graph modelio builds pads an odd input
			// differently, so only kerasapps.Load at the size compares.
			viaModelio := !(ownScale && c.Size%2 == 1)
			if !viaModelio {
				t.Logf("%s at %d: modelio's %d graphs are not compared", c.Arch, c.Size, l.InputH)
			}
			if (c.Arch == "mobilenet" || c.Arch == "mobilenet_v2" || c.Arch == "vgg16") && l.InputH != c.Size {
				t.Errorf("modelio: input %d, want %d", l.InputH, c.Size)
			}
			if viaModelio {
				out, err = l.Graph.Forward([]*tensor.Tensor{x}, false)
				if err != nil {
					t.Fatal(err)
				}
				compare(t, "modelio probabilities", out[0], readRef(t, ref, "probs"))
			}

			l, err = modelio.Open(filepath.Join(dir, c.NoTop), modelio.Options{})
			if err != nil {
				t.Fatal(err)
			}
			// The notop feature map depends on the input size, so build at it.
			nm, err := kerasapps.Load(filepath.Join(dir, c.NoTop), kerasapps.Options{InputH: c.Size, InputW: c.Size})
			if err != nil {
				t.Fatal(err)
			}
			if nm.Options.IncludeTop || nm.Arch != c.Arch {
				t.Fatalf("notop file detected as %s %+v", nm.Arch, nm.Options)
			}
			graphs := map[string]*kerasapps.Model{"features": nm}
			if viaModelio {
				graphs["modelio features"] = &kerasapps.Model{Graph: l.Graph}
			}
			for what, g := range graphs {
				out, err = g.Graph.Forward([]*tensor.Tensor{x}, false)
				if err != nil {
					t.Fatal(err)
				}
				compare(t, what, out[0], readRef(t, ref, "features"))
			}
		})
	}
}

// preprocessed returns the three values p gives a 1x1 image of one grey level.
func preprocessed(t *testing.T, p data.Preprocess, grey uint8) [3]float32 {
	t.Helper()
	p.Height, p.Width = 1, 1
	img := &data.RGB{W: 1, H: 1, Pix: []uint8{grey, grey, grey}}
	var out [3]float32
	if err := p.Normalize(img, out[:]); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKerasWeightsErrors checks that a weight-only file with a missing
// layer, a wrong shape or no known architecture errors naming the file,
// the layer and the weight.
func TestKerasWeightsErrors(t *testing.T) {
	dir, man := generate(t, "mobilenet")
	c := man["mobilenet"]
	src := filepath.Join(dir, c.Top)
	// Rewrite the file with h5py: drop a layer, change a shape, rename all.
	script := `
import h5py, numpy as np, sys
src, dst, mode = sys.argv[1:4]
with h5py.File(src, 'r') as f, h5py.File(dst, 'w') as g:
    names = [n.decode() for n in f.attrs['layer_names']]
    if mode == 'missing':
        names.remove('conv_pw_7_bn')
    for k, v in f.attrs.items():
        g.attrs[k] = v
    g.attrs['layer_names'] = np.array([('x_' + n if mode == 'unknown' else n).encode() for n in names])
    for n in names:
        f.copy(n, g, name=('x_' + n if mode == 'unknown' else n))
    if mode == 'shape':
        del g['conv_dw_3/conv_dw_3/depthwise_kernel:0']
        g['conv_dw_3/conv_dw_3/depthwise_kernel:0'] = np.zeros((3, 3, 5, 1), np.float32)
`
	for _, tc := range []struct {
		mode string
		want []string
	}{
		{"missing", []string{"conv_pw_7_bn", "no weights", "gamma"}},
		{"shape", []string{"conv_dw_3", "depthwise_kernel", "[3 3 5 1]"}},
		{"unknown", []string{"weight-only Keras file: layer names match no known architecture"}},
	} {
		dst := filepath.Join(dir, tc.mode+"_"+c.Top)
		if out, err := exec.Command(python, "-c", script, src, dst, tc.mode).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", tc.mode, err, out)
		}
		_, err := modelio.Open(dst, modelio.Options{})
		if err == nil {
			t.Errorf("%s: loaded without error", tc.mode)
			continue
		}
		for _, w := range append(tc.want, dst) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tc.mode, err, w)
			}
		}
	}
}

// TestKerasWeightsBaseAndZoo checks the two other ways in: graft.BaseFromFile
// on a weight-only file (cut before the classifier: MobileNet's pooled
// features), and a zoo name whose only cached weights are Keras's.
func TestKerasWeightsBaseAndZoo(t *testing.T) {
	dir, man := generate(t, "mobilenet")
	c := man["mobilenet"]
	ref := filepath.Join(dir, "mobilenet.ref.h5")
	x := readRef(t, ref, "input")
	feat := readRef(t, ref, "features")
	n, h, w, ch := feat.Shape[0], feat.Shape[1], feat.Shape[2], feat.Shape[3]
	pooled := tensor.New(n, ch)
	for i := range n {
		for p := range h * w {
			for k := range ch {
				pooled.Data[i*ch+k] += feat.Data[(i*h*w+p)*ch+k] / float32(h*w)
			}
		}
	}

	base, err := graft.BaseFromFile(filepath.Join(dir, c.Top), "")
	if err != nil {
		t.Fatal(err)
	}
	net := base.Network()
	if net.Preprocess.Scale != data.ScaleSymmetric || net.Preprocess.Height != c.Size {
		t.Errorf("base preprocessing %+v, want Keras tf at %d", net.Preprocess, c.Size)
	}
	out, err := net.Graph.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := out[0].Reshape(n, ch)
	if err != nil {
		t.Fatalf("base output %v: %v", out[0].Shape, err)
	}
	compare(t, "base features", got, pooled)

	cache := t.TempDir()
	srcs := kerasapps.Sources("mobilenet")
	if len(srcs) == 0 || !srcs[0].Top {
		t.Fatalf("zoo lists no Keras top file for mobilenet: %+v", srcs)
	}
	raw, err := os.ReadFile(filepath.Join(dir, c.Top))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, srcs[0].File), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := modelio.Open("mobilenet", modelio.Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if !l.KerasApps || l.Format != modelio.FormatZoo || l.InputH != 224 {
		t.Errorf("zoo open: KerasApps %v, format %s, input %d; want true, zoo, 224 (from %s)", l.KerasApps, l.Format, l.InputH, srcs[0].File)
	}
	out, err = l.Graph.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "zoo probabilities", out[0], readRef(t, ref, "probs"))
	if _, err := modelio.Open("resnet50", modelio.Options{CacheDir: cache, Source: "keras"}); err == nil || !strings.Contains(err.Error(), "no pretrained weights") {
		t.Errorf("resnet50 with no cached weights: error %v", err)
	}
}
