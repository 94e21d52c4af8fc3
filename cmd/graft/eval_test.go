package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/formats/graftfile"
	"github.com/graft-ml/graft/nn"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/graft-ml/graft"
	"github.com/graft-ml/graft/train"
)

// tintColours gives each test class its own dominant colour.
var tintColours = map[string]int{"cat": 0, "dog": 1, "owl": 2, "zebra": 0}

// writeImageFolder writes perClass noisy 20x20 PNGs per class, class k's
// colour channel raised, into a folder with one sub-folder per class.
func writeImageFolder(t *testing.T, classes []string, perClass int) string {
	t.Helper()
	root := t.TempDir()
	r := rand.New(rand.NewPCG(7, 8))
	for _, c := range classes {
		dir := filepath.Join(root, c)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range perClass {
			img := image.NewRGBA(image.Rect(0, 0, 20, 20))
			for y := range 20 {
				for x := range 20 {
					v := [3]uint8{uint8(r.IntN(150)), uint8(r.IntN(150)), uint8(r.IntN(150))}
					v[tintColours[c]] += 100
					img.Set(x, y, color.RGBA{v[0], v[1], v[2], 255})
				}
			}
			var b bytes.Buffer
			if err := png.Encode(&b, img); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s%02d.png", c, i)), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func TestEvalPrintsMetricsAndWritesReport(t *testing.T) {
	model := writeGraftFile(t)
	dir := writeImageFolder(t, []string{"cat", "dog", "owl"}, 4)
	out := filepath.Join(t.TempDir(), "report")
	r := runGraft(t, "eval", "--model", model, "--data", dir, "--out", out, "--worst", "3")
	r.wantCode(t, 0)
	// The same numbers as the library's.
	m, err := graft.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := openDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := train.Evaluate(context.Background(), m.Network(), ds, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("accuracy  %.2f%%  (", 100*ev.Accuracy()), fmt.Sprintf("loss      %.4f", ev.Loss),
		"top-5     100.00%", "of 12)", "precision", ev.Confusion.String()}
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
		}
	}
	for _, f := range []string{train.ReportHTML, train.ConfusionPNG} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	page, err := os.ReadFile(filepath.Join(out, train.ReportHTML))
	if err != nil {
		t.Fatal(err)
	}
	// Three worst images, named by file, plus the confusion matrix.
	if n := strings.Count(string(page), `src="data:image/`); n != 4 {
		t.Errorf("%d inline images, want 4", n)
	}
	if !strings.Contains(string(page), ".png</span>") {
		t.Error("the worst images are not named by file")
	}
}

func TestEvalMatchesClassesByName(t *testing.T) {
	model := writeGraftFile(t)
	// Only two of the model's three classes, in folders sorted cat, owl:
	// owl is the data's class 1 but the model's class 2.
	dir := writeImageFolder(t, []string{"owl", "cat"}, 3)
	r := runGraft(t, "eval", "--model", model, "--data", dir)
	r.wantCode(t, 0)
	supports := map[string]string{}
	for _, l := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(l)
		if len(f) == 5 && (f[0] == "cat" || f[0] == "dog" || f[0] == "owl") {
			supports[f[0]] = f[4]
		}
	}
	if supports["cat"] != "3" || supports["dog"] != "0" || supports["owl"] != "3" {
		t.Errorf("supports %v, want cat 3, dog 0, owl 3:\n%s", supports, r.stdout)
	}

	bad := writeImageFolder(t, []string{"cat", "zebra"}, 1)
	r = runGraft(t, "eval", "--model", model, "--data", bad)
	r.wantCode(t, 1)
	if !strings.Contains(r.stderr, `"zebra"`) || !strings.Contains(r.stderr, `"owl"`) {
		t.Errorf("error does not name the missing class and the known ones: %s", r.stderr)
	}
}

func TestEvalErrors(t *testing.T) {
	model := writeGraftFile(t)
	dir := writeImageFolder(t, []string{"cat"}, 1)
	for _, args := range [][]string{
		{"eval"},
		{"eval", "--data", dir},
		{"eval", "--model", model},
		{"eval", "--model", model, "--data", dir, "extra"},
		{"eval", "--model", model, "--data", dir, "--batch", "0"},
		{"eval", "--nope"},
	} {
		r := runGraft(t, args...)
		r.wantCode(t, 2)
		if !strings.Contains(r.stderr, "graft eval --help") {
			t.Errorf("%v: no pointer to help: %s", args, r.stderr)
		}
	}
	r := runGraft(t, "eval", "--model", filepath.Join(t.TempDir(), "missing.graft"), "--data", dir)
	r.wantCode(t, 1)
	r = runGraft(t, "eval", "--model", model, "--data", filepath.Join(t.TempDir(), "missing"))
	r.wantCode(t, 1)
	r = runGraft(t, "eval", "--help")
	r.wantCode(t, 0)
	if !strings.Contains(r.stdout, "--out") {
		t.Errorf("help lacks --out:\n%s", r.stdout)
	}
}

func TestTrainWritesRunReport(t *testing.T) {
	base := writeGraftFile(t)
	dir := writeImageFolder(t, []string{"cat", "dog", "owl"}, 5)
	out := filepath.Join(t.TempDir(), "run")
	r := runGraft(t, "train", "--data", dir, "--base", base, "--out", out, "--head-epochs", "3", "--finetune-epochs", "1",
		"--finetune-blocks", "1", "--batch", "4", "--feature-cache", "off", "--workers", "1")
	r.wantCode(t, 0)
	if !strings.Contains(r.stdout, "report: "+filepath.Join(out, train.ReportHTML)) {
		t.Errorf("no report line:\n%s", r.stdout)
	}
	page, err := os.ReadFile(filepath.Join(out, train.ReportHTML))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"--head-epochs", "fine-tune", "Learning curves", "Worst predictions"} {
		if !strings.Contains(string(page), w) {
			t.Errorf("report lacks %q", w)
		}
	}
	for _, f := range []string{train.LossPNG, train.AccuracyPNG, train.ConfusionPNG} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// writeTwoBlockGraftFile saves a classifier whose base has two
// convolution blocks.
func writeTwoBlockGraftFile(t *testing.T) string {
	t.Helper()
	g, must := newTestGraph(t)
	in := "image"
	for i, c := range []int{3, 4} {
		conv, err := nn.NewConv2D(fmt.Sprintf("conv%d", i+1), nn.Conv2DConfig{InChannels: c, Filters: 4, KernelH: 3, KernelW: 3, Padding: nn.PadSame(), Seed: uint64(9 + i)})
		must(err)
		must(g.Add(conv.Name(), conv, in))
		in = fmt.Sprintf("relu%d", i+1)
		must(g.Add(in, nn.NewReLU(in), conv.Name()))
	}
	dense, err := nn.NewDense("fc", nn.DenseConfig{In: 4, Out: 3, Seed: 2})
	must(err)
	must(g.Add("pool", nn.NewGlobalAvgPool("pool", false), in))
	must(g.Add("fc", dense, "pool"))
	p := filepath.Join(t.TempDir(), "two.graft")
	must(graftfile.Save(p, &graftfile.Model{Graph: g,
		Preprocess: data.Preprocess{Height: 16, Width: 16, Resize: data.ResizeSquash, Scale: data.ScaleSymmetric},
		Labels:     []string{"cat", "dog", "owl"}}))
	return p
}

func TestTrainGradualUnfreezing(t *testing.T) {
	base := writeTwoBlockGraftFile(t)
	dir := writeImageFolder(t, []string{"cat", "dog", "owl"}, 5)
	out := filepath.Join(t.TempDir(), "run")
	r := runGraft(t, "train", "--data", dir, "--base", base, "--out", out, "--head-epochs", "2", "--finetune-epochs", "3",
		"--finetune-blocks", "2", "--gradual", "2", "--base-lr-scale", "0.5", "--batch", "4", "--feature-cache", "off", "--workers", "1")
	r.wantCode(t, 0)
	csv, err := os.ReadFile(filepath.Join(out, train.MetricsCSV))
	if err != nil {
		t.Fatal(err)
	}
	var phases []string
	for _, line := range strings.Split(strings.TrimSpace(string(csv)), "\n")[1:] {
		phases = append(phases, strings.Split(line, ",")[0])
	}
	if got := strings.Join(phases, " "); got != "head head fine-tune-1 fine-tune-2 fine-tune-2" {
		t.Errorf("epochs by phase: %s, want head ×2, fine-tune-1 ×1, fine-tune-2 ×2\n%s", got, csv)
	}
	// The summary's trainable parameters: the head (15), then conv2 too
	// (15 + 148), then conv1 as well (163 + 112).
	for _, want := range []string{`(?m)^\s*head\s+2\s+0\.003\s+15\s`, `(?m)^\s*fine-tune-1\s+1\s+\S+\s+163\s`, `(?m)^\s*fine-tune-2\s+2\s+\S+\s+275\s`} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("summary lacks %s:\n%s", want, r.stdout)
		}
	}
	cfg, err := os.ReadFile(filepath.Join(out, train.ConfigJSON))
	if err != nil || !strings.Contains(string(cfg), `"--gradual": "2"`) || !strings.Contains(string(cfg), `"--base-lr-scale": "0.5"`) {
		t.Errorf("config.json: %v\n%s", err, cfg)
	}
	for _, bad := range [][]string{{"--gradual", "-1"}, {"--base-lr-scale", "0"}, {"--base-lr-scale", "2"}, {"--gradual", "3", "--finetune-blocks", "0"}} {
		args := append([]string{"train", "--data", dir, "--base", base, "--out", filepath.Join(t.TempDir(), "bad")}, bad...)
		runGraft(t, args...).wantCode(t, 2)
	}
}
