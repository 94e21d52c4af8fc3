package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func wantAll(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

func TestInspectTFLite(t *testing.T) {
	r := runGraft(t, "inspect", shared(t, "models/coral/mobilenet_v2_1.0_224_quant.tflite"))
	r.wantCode(t, 0)
	wantAll(t, "inspect output", r.stdout,
		"format:     tflite",
		"input:      [N, 224, 224, 3]",
		"224x224, center-square, RGB, (x/255-mean)/std with mean [0.502 0.502 0.502] std [0.502 0.502 0.502]",
		"output 0:   [1 1001]",
		"Softmax", "[1 112 112 32]", "[1 7 7 1280]")
	// MobileNetV2 at width 1 with the 1001-class top: 3,538,984 weights
	// plus folded BatchNorm biases, all trainable after import.
	if !strings.Contains(r.stdout, "0 frozen (state included)") {
		t.Errorf("imported TFLite graph has frozen parameters:\n%s", lastLine(r.stdout))
	}
	if r.stderr != "" {
		t.Errorf("stderr: %s", r.stderr)
	}
}

func TestInspectONNX(t *testing.T) {
	r := runGraft(t, "inspect", filepath.Join(repoRoot(t), "formats/onnx/testdata/smallnet.onnx"))
	r.wantCode(t, 0)
	wantAll(t, "inspect output", r.stdout,
		"format:     onnx",
		"input:      [2, 12, 12, 3]",
		"(assumed)",
		"warning:    onnx files do not record their preprocessing",
		"output 0:   [2 5]",
		"[2 6 6 8]",
		"parameters: 1117 trainable, 0 frozen (state included), 1117 total")
}

func TestInspectGraftFile(t *testing.T) {
	r := runGraft(t, "inspect", writeGraftFile(t))
	r.wantCode(t, 0)
	wantAll(t, "inspect output", r.stdout,
		"format:     graft",
		"input:      [N, 16, 16, 3]",
		"16x16, squash, RGB, x/127.5-1 in [-1, 1]",
		"labels:     3 from the file (cat, dog, owl)",
		"base: mobilenet_v2", "val_accuracy: 0.875",
		"[1 16 16 4]",
		// conv: 3*3*3*4+4 = 112 frozen; fc: 4*3+3 = 15 trainable.
		"parameters: 15 trainable, 112 frozen (state included), 127 total")
	if strings.Contains(r.stdout, "warning") {
		t.Errorf("a Graft file carries its preprocessing, yet:\n%s", r.stdout)
	}
}

func TestInspectTFJSFolder(t *testing.T) {
	r := runGraft(t, "inspect", shared(t, "models/tinydarknet"))
	r.wantCode(t, 0)
	wantAll(t, "inspect output", r.stdout, "format:     tfjs", "input:      [N, 224, 224, 3]",
		"output 0:   [1 1000]", "labels:     1000 from ")
}

func TestInspectMissingAndCorrupt(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.tflite")
	r := runGraft(t, "inspect", missing)
	r.wantCode(t, 1)
	if !strings.HasPrefix(r.stderr, "graft: ") || !strings.Contains(r.stderr, missing) {
		t.Errorf("stderr for a missing file: %q", r.stderr)
	}
	// Corrupt files of each kind: the message names the file.
	onnx, _ := os.ReadFile(filepath.Join(repoRoot(t), "formats/onnx/testdata/smallnet.onnx"))
	graftBytes, _ := os.ReadFile(writeGraftFile(t))
	for name, content := range map[string][]byte{
		"truncated.onnx":  onnx[:len(onnx)/2],
		"truncated.graft": graftBytes[:len(graftBytes)-7],
		"garbage.bin":     []byte("\x00\x01\x02 this is not a model"),
		"fake.tflite":     []byte("\x18\x00\x00\x00TFL3\x00\x00\x00\x00\x00\x00"),
		"broken.pth":      []byte("PK\x03\x04 broken zip"),
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		r := runGraft(t, "inspect", p)
		if r.code != 1 || !strings.HasPrefix(r.stderr, "graft: ") || !strings.Contains(r.stderr, name) {
			t.Errorf("%s: exit %d, stderr %q", name, r.code, r.stderr)
		}
	}
}

func TestInspectStateDictNeedsArch(t *testing.T) {
	p := filepath.Join(repoRoot(t), "formats/torch/testdata/state_dict.pt")
	r := runGraft(t, "inspect", p)
	r.wantCode(t, 1)
	wantAll(t, "stderr", r.stderr, p, "name the architecture")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
