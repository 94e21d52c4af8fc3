package modelio

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/formats/graftfile"
	"github.com/graft-ml/graft/formats/safetensors"
	"github.com/graft-ml/graft/formats/torch"
	"github.com/graft-ml/graft/nn"
)

// repoRoot is the module root, found from this file's location.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Dir(filepath.Dir(file))
}

// shared returns a path under the shared folder beside the repository, or
// skips the test when it is absent.
func shared(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "..", "shared", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data %s not present (it lives beside the repository): %v", rel, err)
	}
	return p
}

// writeGraftFile saves a small classifier (conv, ReLU, pool, dense with 3
// classes) as a Graft file and returns its path.
func writeGraftFile(t *testing.T, dir string) string {
	t.Helper()
	g := nn.NewGraph()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(g.Input("image"))
	conv, err := nn.NewConv2D("conv", nn.Conv2DConfig{InChannels: 3, Filters: 4, KernelH: 3, KernelW: 3, Padding: nn.PadSame(), Seed: 9})
	must(err)
	dense, err := nn.NewDense("fc", nn.DenseConfig{In: 4, Out: 3, Seed: 2})
	must(err)
	must(g.Add("conv", conv, "image"))
	must(g.Add("relu", nn.NewReLU("relu"), "conv"))
	must(g.Add("pool", nn.NewGlobalAvgPool("pool", false), "relu"))
	must(g.Add("fc", dense, "pool"))
	must(g.SetTrainable("conv", false))
	p := filepath.Join(dir, "small.graft")
	m := &graftfile.Model{Graph: g, Preprocess: data.Preprocess{Height: 8, Width: 8, Resize: data.ResizeSquash, Scale: data.ScaleSymmetric},
		Labels: []string{"cat", "dog", "owl"}, Meta: map[string]any{"base": "test"}}
	must(graftfile.Save(p, m))
	return p
}

func TestDetect(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	cases := map[string]Format{
		writeGraftFile(t, dir): FormatGraft,
		filepath.Join(root, "formats/onnx/testdata/smallnet.onnx"):             FormatONNX,
		filepath.Join(root, "formats/torch/testdata/state_dict.pt"):            FormatTorch,
		filepath.Join(root, "formats/torch/testdata/legacy.pth"):               FormatTorch,
		filepath.Join(root, "formats/safetensors/testdata/python.safetensors"): FormatSafetensors,
		filepath.Join(root, "formats/hdf5/testdata/keras_latest.h5"):           FormatKerasH5,
	}
	// Renamed copies: detection reads content, not the extension.
	for src, want := range map[string]Format{
		filepath.Join(root, "formats/onnx/testdata/smallnet.onnx"):  FormatONNX,
		filepath.Join(root, "formats/torch/testdata/state_dict.pt"): FormatTorch,
		filepath.Join(root, "formats/keras/testdata/tiny_k3.keras"): FormatKeras,
		filepath.Join(root, "formats/keras/testdata/tiny_k2.h5"):    FormatKerasH5,
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.Base(src)+".bin")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		cases[p] = want
	}
	for p, want := range cases {
		got, err := Detect(p)
		if err != nil {
			t.Errorf("Detect(%s): %v", p, err)
			continue
		}
		if got != want {
			t.Errorf("Detect(%s) = %s, want %s", p, got, want)
		}
	}
}

func TestDetectShared(t *testing.T) {
	for rel, want := range map[string]Format{
		"models/coral/mobilenet_v2_1.0_224_quant.tflite": FormatTFLite,
		"models/tinydarknet":                             FormatTFJS,
		"models/tinydarknet/model.json":                  FormatTFJS,
	} {
		got, err := Detect(shared(t, rel))
		if err != nil || got != want {
			t.Errorf("Detect(%s) = %s, %v; want %s", rel, got, err, want)
		}
	}
}

func TestDetectRejects(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty.bin":  "",
		"text.txt":   "hello, not a model\n",
		"plain.json": `{"hello": 1}`,
		"broken.zip": "PK\x03\x04garbage",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Detect(p)
		if err == nil {
			t.Errorf("Detect(%s) succeeded", name)
		} else if !strings.Contains(err.Error(), p) {
			t.Errorf("Detect(%s) error %q does not name the file", name, err)
		}
	}
	if _, err := Detect(dir); err == nil || !strings.Contains(err.Error(), "model.json") {
		t.Errorf("Detect(folder without model.json) = %v", err)
	}
}

func TestOpenGraft(t *testing.T) {
	p := writeGraftFile(t, t.TempDir())
	l, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Format != FormatGraft || l.InputH != 8 || l.InputW != 8 || len(l.Labels) != 3 || l.Labels[2] != "owl" {
		t.Fatalf("got format %s, input %dx%d, labels %v", l.Format, l.InputH, l.InputW, l.Labels)
	}
	if len(l.Warnings) != 0 {
		t.Errorf("warnings for a file that carries its preprocessing: %v", l.Warnings)
	}
	s, err := l.Summary()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"format:     graft", "8x8, squash, RGB, x/127.5-1", "labels:     3 from the file (cat, dog, owl)",
		"base: test", "[1 8 8 4]", "output 0:   [1 3]", "parameters: 15 trainable, 112 frozen"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}

func TestOpenONNXGuessesPreprocessing(t *testing.T) {
	l, err := Open(filepath.Join(repoRoot(t), "formats/onnx/testdata/smallnet.onnx"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l.InputH != 12 || l.InputW != 12 || l.InputBatch != 2 || l.Preprocess.Scale != data.ScaleMeanStd {
		t.Fatalf("input %dx%d batch %d, preprocess %+v", l.InputH, l.InputW, l.InputBatch, l.Preprocess)
	}
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], "onnx files do not record") {
		t.Errorf("warnings = %v", l.Warnings)
	}
	// A caller's preprocessing replaces the guess and silences the warning.
	p := data.Preprocess{Height: 12, Width: 12, Scale: data.ScaleUnit}
	l, err = Open(filepath.Join(repoRoot(t), "formats/onnx/testdata/smallnet.onnx"), Options{Preprocess: &p})
	if err != nil {
		t.Fatal(err)
	}
	if l.Preprocess != p || len(l.Warnings) != 0 {
		t.Errorf("preprocess %+v, warnings %v", l.Preprocess, l.Warnings)
	}
	p.Height = 30
	if _, err := Open(filepath.Join(repoRoot(t), "formats/onnx/testdata/smallnet.onnx"), Options{Preprocess: &p}); err == nil {
		t.Error("a 30x12 preprocessing for a 12x12 model was accepted")
	}
}

func TestOpenTFLitePreprocessFromQuantisation(t *testing.T) {
	l, err := Open(shared(t, "models/coral/mobilenet_v2_1.0_224_quant.tflite"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Format != FormatTFLite || l.InputH != 224 || l.InputW != 224 || len(l.Warnings) != 0 {
		t.Fatalf("format %s, input %dx%d, warnings %v", l.Format, l.InputH, l.InputW, l.Warnings)
	}
	// Scale 1/128, zero point 128: a pixel p must become (p-128)/128.
	img := data.NewRGB(224, 224)
	for i := range img.Pix {
		img.Pix[i] = uint8(i % 256)
	}
	dst := make([]float32, l.Preprocess.Numel())
	if err := l.Preprocess.Normalize(img, dst); err != nil {
		t.Fatal(err)
	}
	for i, v := range dst {
		want := (float64(img.Pix[i]) - 128) / 128
		if math.Abs(float64(v)-want) > 1e-6 {
			t.Fatalf("value %d: pixel %d -> %v, want %v", i, img.Pix[i], v, want)
		}
	}
}

func TestOpenStateDictNeedsArch(t *testing.T) {
	p := filepath.Join(repoRoot(t), "formats/torch/testdata/state_dict.pt")
	_, err := Open(p, Options{})
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "name the architecture") {
		t.Errorf("Open without Arch: %v", err)
	}
	_, err = Open(p, Options{Arch: "resnet18"})
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("Open of a foreign state dict as resnet18: %v", err)
	}
	_, err = Open(p, Options{Arch: "no_such_net"})
	if err == nil || !strings.Contains(err.Error(), "unknown architecture") {
		t.Errorf("Open with an unknown Arch: %v", err)
	}
}

func TestOpenZooNameWithoutCache(t *testing.T) {
	_, err := Open("resnet18", Options{CacheDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "graft models pull resnet18") {
		t.Errorf("Open(resnet18) with an empty cache: %v", err)
	}
	_, err = Open("no/such/file.onnx", Options{})
	if err == nil || !strings.Contains(err.Error(), "no/such/file.onnx") {
		t.Errorf("Open of a missing file: %v", err)
	}
}

func TestDefaultLabels(t *testing.T) {
	if l := DefaultLabels(1001); len(l) != 1001 || l[0] != "background" || l[286] != "Egyptian cat" {
		t.Errorf("DefaultLabels(1001) = %d labels, [0]=%q [286]=%q", len(l), l[0], l[286])
	}
	if l := DefaultLabels(1000); len(l) != 1000 || l[285] != "Egyptian cat" {
		t.Errorf("DefaultLabels(1000) [285] = %q", l[285])
	}
	if DefaultLabels(10) != nil {
		t.Error("DefaultLabels(10) is not nil")
	}
}

func TestOpenKeras(t *testing.T) {
	root := repoRoot(t)
	for file, format := range map[string]Format{
		"tiny_k2.h5":    FormatKerasH5,
		"tiny_k3.keras": FormatKeras,
		"tiny_tfjs":     FormatTFJS,
	} {
		l, err := Open(filepath.Join(root, "formats/keras/testdata", file), Options{})
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if l.Format != format || l.InputH != 8 || l.InputW != 8 || l.Preprocess.Scale != data.ScaleUnit || len(l.Warnings) != 1 {
			t.Errorf("%s: format %s, input %dx%d, preprocess %+v, warnings %v", file, l.Format, l.InputH, l.InputW, l.Preprocess, l.Warnings)
		}
		outs, err := Probe(l)
		if err != nil || len(outs) != 1 || len(outs[0].Shape) != 2 || outs[0].Shape[1] != 5 {
			t.Errorf("%s: probe gave %v, %v", file, outs, err)
		}
	}
	// A weights-only file has no architecture: the error names the file.
	p := filepath.Join(root, "formats/keras/testdata/tiny_weights.h5")
	if _, err := Open(p, Options{}); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("weights-only h5: %v", err)
	}
}

func TestOpenSafetensorsMapsOntoArch(t *testing.T) {
	ck, err := torch.Load(filepath.Join(repoRoot(t), "formats/torch/testdata/state_dict.pt"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []safetensors.Entry
	for _, name := range ck.Names() {
		entries = append(entries, safetensors.Entry{Name: name, DType: safetensors.F32, Tensor: ck.Tensors[name]})
	}
	p := filepath.Join(t.TempDir(), "weights.bin")
	if err := safetensors.Write(p, entries, nil); err != nil {
		t.Fatal(err)
	}
	if f, err := Detect(p); err != nil || f != FormatSafetensors {
		t.Fatalf("Detect = %s, %v", f, err)
	}
	if _, err := Open(p, Options{}); err == nil || !strings.Contains(err.Error(), "safetensors file holds only weights") {
		t.Errorf("without Arch: %v", err)
	}
	// The fixture's tensors are not resnet18's: the error names the file
	// and a tensor.
	_, err = Open(p, Options{Arch: "resnet18"})
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "tensor") {
		t.Errorf("foreign tensors as resnet18: %v", err)
	}
}
