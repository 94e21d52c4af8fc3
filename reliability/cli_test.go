package reliability

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graft-ml/graft/train"
)

// snapshot reads every file in dir, by name.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

// sameFiles fails the test unless dir holds exactly the files of before,
// byte for byte.
func sameFiles(t *testing.T, dir string, before map[string][]byte) {
	t.Helper()
	after := snapshot(t, dir)
	for name, b := range before {
		if !bytes.Equal(after[name], b) {
			t.Fatalf("%s changed or vanished (%d bytes, was %d)", name, len(after[name]), len(b))
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Fatalf("new file %s appeared", name)
		}
	}
}

// TestMalformedCommandLines runs graft with bad flags, missing files,
// directories given as files, unusable datasets and models that do not
// load. Each must exit 2 (usage) or 1 (runtime failure) with a one-line
// "graft: ..." message naming the problem and no panic, and must leave an
// existing run folder exactly as it was.
func TestMalformedCommandLines(t *testing.T) {
	dataDir := writeDataset(t, 2, 6)
	base := writeBase(t, 4)
	tmp := t.TempDir()
	file := func(name string, b []byte) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dir := func(name string) string {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	baseBytes, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	truncated := file("truncated.graft", baseBytes[:len(baseBytes)/2])
	flipped := append([]byte(nil), baseBytes...)
	flipped[len(flipped)-9] ^= 0x10
	bitflip := file("bitflip.graft", flipped)
	garbage := file("garbage.onnx", bytes.Repeat([]byte{0xff, 0x13}, 300))
	empty := dir("empty")
	single := dir("single/only")
	writePNG(t, filepath.Join(single, "a.png"), solid(10))
	writePNG(t, filepath.Join(single, "b.png"), solid(20))
	unreadable := dir("unreadable")
	for _, c := range []string{"x", "y"} {
		d := dir("unreadable/" + c)
		for _, n := range []string{"1.png", "2.jpg", "3.png"} {
			if err := os.WriteFile(filepath.Join(d, n), []byte("not an image at all"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	image := filepath.Join(dataDir, "class0", "000.png")

	// A finished run that nothing below may touch.
	out := filepath.Join(tmp, "run")
	runGraft(t, "train", "--data", dataDir, "--base", base, "--out", out, "--head-epochs", "2", "--finetune-epochs", "1",
		"--feature-cache", "off").wantCode(t, 0)
	before := snapshot(t, out)
	if _, ok := before[train.LastFile]; !ok {
		t.Fatalf("the run wrote %v, no %s", before, train.LastFile)
	}

	trainOut := func(extra ...string) []string {
		return append([]string{"train", "--out", out, "--feature-cache", "off", "--head-epochs", "1", "--finetune-epochs", "0"}, extra...)
	}
	cases := []struct {
		name string
		args []string
		code int
		msg  string // in stderr
	}{
		{"no command", nil, 2, "Usage"},
		{"unknown command", []string{"trian"}, 2, `unknown command "trian"`},
		{"unknown flag", trainOut("--data", dataDir, "--base", base, "--epochs", "3"), 2, "flag provided but not defined: -epochs"},
		{"flag not a number", trainOut("--data", dataDir, "--base", base, "--batch", "many"), 2, "invalid value \"many\" for flag -batch"},
		{"zero batch", trainOut("--data", dataDir, "--base", base, "--batch", "0"), 2, "--batch 0"},
		{"val split out of range", trainOut("--data", dataDir, "--base", base, "--val-split", "1.5"), 2, "--val-split 1.5"},
		{"no epochs", []string{"train", "--data", dataDir, "--base", base, "--out", out, "--head-epochs", "0", "--finetune-epochs", "0"}, 2, "at least one epoch"},
		{"missing --data", trainOut("--base", base), 2, "--data is required"},
		{"missing --base", trainOut("--data", dataDir), 2, "--base is required"},
		{"bad optimizer", trainOut("--data", dataDir, "--base", base, "--resume", "--optimizer", "adamz"), 1, "adamz"},
		{"dataset does not exist", trainOut("--data", filepath.Join(tmp, "nope"), "--base", base), 1, "nope"},
		{"dataset is a file", trainOut("--data", image, "--base", base), 1, "000.png"},
		{"empty dataset folder", trainOut("--data", empty, "--base", base), 1, "empty"},
		{"single class", trainOut("--data", filepath.Dir(single), "--base", base), 1, "class"},
		{"no readable image", trainOut("--data", unreadable, "--base", base), 1, "unreadable"},
		{"base does not exist", trainOut("--data", dataDir, "--base", filepath.Join(tmp, "nope.graft")), 1, "nope.graft"},
		{"base is a directory", trainOut("--data", dataDir, "--base", empty), 1, "empty"},
		{"base truncated", trainOut("--data", dataDir, "--base", truncated), 1, "truncated.graft"},
		{"base bit-flipped", trainOut("--data", dataDir, "--base", bitflip), 1, "bitflip.graft"},
		{"base garbage", trainOut("--data", dataDir, "--base", garbage), 1, "garbage.onnx"},
		{"run folder taken", trainOut("--data", dataDir, "--base", base), 1, "--resume"},
		{"resume with another seed", trainOut("--data", dataDir, "--base", base, "--resume", "--seed", "99"), 1, "seed"},
		{"resume with another base", trainOut("--data", dataDir, "--base", writeBase(t, 6), "--resume"), 1, "last.graft"},
		{"predict: model does not load", []string{"predict", "--model", truncated, image}, 1, "truncated.graft"},
		{"predict: image missing", []string{"predict", "--model", filepath.Join(out, train.BestFile), filepath.Join(tmp, "nope.png")}, 1, "nope.png"},
		{"predict: directory as image", []string{"predict", "--model", filepath.Join(out, train.BestFile), empty}, 1, "empty"},
		{"predict: no image", []string{"predict", "--model", filepath.Join(out, train.BestFile)}, 2, "at least one image"},
		{"predict: bad --top", []string{"predict", "--model", filepath.Join(out, train.BestFile), "--top", "0", image}, 2, "--top 0"},
		{"inspect: missing file", []string{"inspect", filepath.Join(tmp, "nope.tflite")}, 1, "nope.tflite"},
		{"inspect: directory", []string{"inspect", empty}, 1, "empty"},
		{"inspect: two files", []string{"inspect", base, base}, 2, "one model at a time"},
		{"inspect: bit-flipped", []string{"inspect", bitflip}, 1, "bitflip.graft"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runGraft(t, c.args...)
			r.wantCode(t, c.code)
			if !strings.Contains(r.stderr, c.msg) {
				t.Errorf("stderr does not mention %q:\n%s", c.msg, r.stderr)
			}
			if c.code != 2 || len(c.args) > 0 {
				if !strings.HasPrefix(strings.TrimLeft(r.stderr, "\r "), "graft: ") && !strings.Contains(r.stderr, "\ngraft: ") {
					t.Errorf("no 'graft: ' message:\n%s", r.stderr)
				}
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("graft panicked:\n%s", r.stderr)
			}
			sameFiles(t, out, before)
		})
	}
}
