package zoo_test

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/graft-ml/graft/formats/torch"
	"github.com/graft-ml/graft/tensor"
	"github.com/graft-ml/graft/zoo"
)

// TestTimmParity loads timm-named state dicts of models that compute what
// timm's do (testdata/timm/gen_timm_parity.py builds them with torchvision,
// MobileNet V3 with timm's BatchNorm epsilon) through zoo.LoadStateDict,
// which must pick timm's naming, and checks eval-mode logits within 1e-4
// relative error. VGG-16 runs without -short only.
func TestTimmParity(t *testing.T) {
	if err := exec.Command(python, "-c", "import torchvision").Run(); err != nil {
		t.Skipf("skipping: %s cannot import torchvision (%v)", python, err)
	}
	type model struct {
		timm, arch string
		width      float64
	}
	models := []model{
		{"mobilenetv3_small_100", "mobilenet_v3_small", 1}, {"mobilenetv3_large_100", "mobilenet_v3_large", 1},
		{"efficientnet_b0", "efficientnet_b0", 0}, {"mobilenetv2_050", "mobilenet_v2", 0.5},
	}
	if !testing.Short() {
		models = append(models, model{"vgg16", "vgg16", 0})
	}
	dir := t.TempDir()
	args := []string{filepath.Join("testdata", "timm", "gen_timm_parity.py"), dir}
	for _, m := range models {
		args = append(args, m.timm)
	}
	if out, err := exec.Command(python, args...).CombinedOutput(); err != nil {
		t.Fatalf("gen_timm_parity.py: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man map[string]refEntry
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	for _, c := range models {
		t.Run(c.timm, func(t *testing.T) {
			ref := man[c.timm]
			m, err := zoo.Build(c.arch, zoo.Options{IncludeTop: true, Width: c.width, InputH: ref.Input[1], InputW: ref.Input[2]})
			if err != nil {
				t.Fatal(err)
			}
			ck, err := torch.Load(filepath.Join(dir, c.timm+".pth"))
			if err != nil {
				t.Fatal(err)
			}
			sd := ck.StateDict()
			if n, _, _ := zoo.DetectNaming(m, sd); n != zoo.NamingTimm {
				t.Fatalf("DetectNaming = %v, want timm", n)
			}
			if err := zoo.LoadStateDict(m, sd); err != nil {
				t.Fatal(err)
			}
			x := readF32(t, filepath.Join(dir, c.timm+".input.bin"), ref.Input)
			want := readF32(t, filepath.Join(dir, c.timm+".output.bin"), ref.Output)
			out, err := m.Graph.Forward([]*tensor.Tensor{x}, false)
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.EqualShapes(out[0].Shape, want.Shape) {
				t.Fatalf("output shape %v, want %v", out[0].Shape, want.Shape)
			}
			e := relErr(out[0].Data, want.Data)
			t.Logf("%s: relative error %.3g (max |logit| %.3g)", c.timm, e, maxAbs(want.Data))
			if e > 1e-4 || math.IsNaN(e) {
				t.Errorf("relative error %.3g > 1e-4", e)
			}
		})
	}
}
