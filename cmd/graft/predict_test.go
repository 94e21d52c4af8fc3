package main

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestPredictCoralMobileNetV2(t *testing.T) {
	model := shared(t, "models/coral/mobilenet_v2_1.0_224_quant.tflite")
	imgs := shared(t, "images")
	args := []string{"predict", "--model", model, "--top", "3"}
	for _, f := range []string{"cat.bmp", "parrot.jpg", "hot_dog.jpg"} {
		args = append(args, filepath.Join(imgs, f))
	}
	r := runGraft(t, args...)
	r.wantCode(t, 0)
	// 1001 outputs without a labels file: background + ImageNet names.
	want := map[string]string{"cat.bmp": "Egyptian cat", "parrot.jpg": "macaw", "hot_dog.jpg": "hotdog"}
	got := topOne(t, r.stdout)
	for img, label := range want {
		if got[img] != label {
			t.Errorf("%s: top-1 %q, want %q\n%s", img, got[img], label, r.stdout)
		}
	}
	// Three classes per image, probabilities descending and in (0, 1].
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 12 {
		t.Fatalf("%d output lines, want 12:\n%s", len(lines), r.stdout)
	}
	prev := math.Inf(1)
	for _, l := range lines {
		if !strings.HasPrefix(l, "  ") {
			prev = math.Inf(1)
			continue
		}
		p, err := strconv.ParseFloat(strings.Fields(l)[0], 64)
		if err != nil || p <= 0 || p > 1 || p > prev {
			t.Errorf("bad probability line %q (previous %v)", l, prev)
		}
		prev = p
	}
	// The softmax output is used as is: the cat's top class keeps about
	// the probability Arm NN gives on its own resize of the photo (218/256
	// = 0.85), not a second softmax of it (which would flatten it below
	// 0.01).
	first := strings.Fields(lines[1])[0]
	if p, _ := strconv.ParseFloat(first, 64); p < 0.6 {
		t.Errorf("cat top-1 probability %v: a softmax was applied to probabilities", p)
	}
}

func TestPredictWithLabelsFile(t *testing.T) {
	model := shared(t, "models/coral/mobilenet_v2_1.0_224_quant.tflite")
	labels := shared(t, "models/coral/imagenet_labels.txt")
	img := filepath.Join(shared(t, "images"), "hot_dog.jpg")
	r := runGraft(t, "predict", "--model", model, "--labels", labels, "--top", "1", img)
	r.wantCode(t, 0)
	if got := topOne(t, r.stdout)["hot_dog.jpg"]; got != "hotdog, hot dog, red hot" {
		t.Errorf("top-1 with Coral's labels = %q\n%s", got, r.stdout)
	}
	// A labels file of the wrong length is an error.
	short := filepath.Join(t.TempDir(), "short.txt")
	os.WriteFile(short, []byte("a\nb\n"), 0o644)
	r = runGraft(t, "predict", "--model", model, "--labels", short, img)
	r.wantCode(t, 1)
	if !strings.Contains(r.stderr, "2 labels for a model with 1001 outputs") {
		t.Errorf("stderr: %s", r.stderr)
	}
}

func TestPredictGraftFileSoftmaxesLogits(t *testing.T) {
	model := writeGraftFile(t)
	img := filepath.Join(repoRoot(t), "data/testdata/decode/rgb.png")
	r := runGraft(t, "predict", "--model", model, img)
	r.wantCode(t, 0)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || lines[0] != img {
		t.Fatalf("output:\n%s", r.stdout)
	}
	// The dense output is logits: the three printed probabilities are a
	// softmax, so they sum to 1, and the labels are the file's.
	var sum float64
	seen := map[string]bool{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		p, _ := strconv.ParseFloat(f[0], 64)
		sum += p
		seen[f[1]] = true
	}
	if math.Abs(sum-1) > 2e-4 || !seen["cat"] || !seen["dog"] || !seen["owl"] {
		t.Errorf("probabilities sum to %v, labels %v:\n%s", sum, seen, r.stdout)
	}
}

func TestPredictBadImage(t *testing.T) {
	model := writeGraftFile(t)
	good := filepath.Join(repoRoot(t), "data/testdata/decode/rgb.png")
	bad := filepath.Join(t.TempDir(), "broken.jpg")
	os.WriteFile(bad, []byte("not a jpeg"), 0o644)
	missing := filepath.Join(t.TempDir(), "missing.png")
	r := runGraft(t, "predict", "--model", model, good, bad, missing)
	r.wantCode(t, 1)
	if !strings.Contains(r.stdout, good) {
		t.Errorf("the good image was not classified:\n%s", r.stdout)
	}
	for _, want := range []string{bad, missing, "2 of 3 images could not be read"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}
