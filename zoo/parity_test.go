package zoo_test

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graft-ml/graft/formats/torch"
	"github.com/graft-ml/graft/tensor"
	"github.com/graft-ml/graft/zoo"
)

// modelsFlag restricts the parity test to some models (comma-separated).
var modelsFlag = flag.String("zoo.models", "", "comma-separated models for TestTorchvisionParity (default: all; -short skips vgg19 and resnet152)")

// python is Debian's interpreter, which has torch and torchvision.
const python = "/usr/bin/python3"

// heavy are the models the parity test generates only without -short.
var heavy = map[string]bool{"vgg19": true, "resnet152": true}

// parityModels are the torchvision architectures Graft must reproduce.
var parityModels = []string{
	"resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
	"vgg16", "vgg19", "inception_v3", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
	"efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
}

type refEntry struct {
	Input  []int `json:"input"`
	Output []int `json:"output"`
	Params int   `json:"params"`
}

// generateReference runs testdata/gen_torchvision.py for names into a
// temporary directory, skipping the test when torchvision is missing.
func generateReference(t *testing.T, names []string) (string, map[string]refEntry) {
	t.Helper()
	if err := exec.Command(python, "-c", "import torchvision").Run(); err != nil {
		t.Skipf("skipping: %s cannot import torchvision (%v); install python3-torchvision", python, err)
	}
	dir := t.TempDir()
	args := append([]string{filepath.Join("testdata", "gen_torchvision.py"), dir}, names...)
	cmd := exec.Command(python, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen_torchvision.py: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man map[string]refEntry
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	return dir, man
}

func readF32(t *testing.T, file string, shape []int) *tensor.Tensor {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(shape...)
	if len(raw) != 4*x.Size() {
		t.Fatalf("%s: %d bytes, want %d for %v", file, len(raw), 4*x.Size(), shape)
	}
	for i := range x.Data {
		x.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
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

// TestTorchvisionParity loads torchvision's randomly initialised models
// (with randomised BatchNorm statistics) into Graft's architectures and
// checks that eval-mode logits match within 1e-4 relative error, and that
// the parameter counts agree.
func TestTorchvisionParity(t *testing.T) {
	var names []string
	for _, n := range parityModels {
		if !testing.Short() || !heavy[n] {
			names = append(names, n)
		}
	}
	if *modelsFlag != "" {
		names = strings.Split(*modelsFlag, ",")
	}
	dir, man := generateReference(t, names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			ref, ok := man[name]
			if !ok {
				t.Fatalf("manifest lacks %s", name)
			}
			m, err := zoo.Build(name, zoo.Options{IncludeTop: true, InputH: ref.Input[1], InputW: ref.Input[2]})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.ParamCount(); got != ref.Params {
				t.Errorf("parameters: Graft %d, torchvision %d", got, ref.Params)
			}
			ck, err := torch.Load(filepath.Join(dir, name+".pth"))
			if err != nil {
				t.Fatal(err)
			}
			if err := zoo.LoadTorchStateDict(m, ck.StateDict()); err != nil {
				t.Fatal(err)
			}
			ck = nil
			x := readF32(t, filepath.Join(dir, name+".input.bin"), ref.Input)
			want := readF32(t, filepath.Join(dir, name+".output.bin"), ref.Output)
			out, err := m.Graph.Forward([]*tensor.Tensor{x}, false)
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.EqualShapes(out[0].Shape, want.Shape) {
				t.Fatalf("output shape %v, want %v", out[0].Shape, want.Shape)
			}
			e := relErr(out[0].Data, want.Data)
			t.Logf("%s: relative error %.3g (max |logit| %.3g)", name, e, maxAbs(want.Data))
			if e > 1e-4 || math.IsNaN(e) {
				t.Errorf("relative error %.3g > 1e-4", e)
			}
		})
	}
}

func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(float64(x)))
	}
	return m
}
