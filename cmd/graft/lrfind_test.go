package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/graft-ml/graft/train"
)

func TestLRFindSuggestsAndPlots(t *testing.T) {
	base := writeGraftFile(t)
	dir := writeImageFolder(t, []string{"cat", "dog", "owl"}, 6)
	out := filepath.Join(t.TempDir(), "run")
	r := runGraft(t, "lr-find", "--data", dir, "--base", base, "--out", out, "--steps", "30", "--batch", "4",
		"--feature-cache", "off", "--workers", "1")
	r.wantCode(t, 0)
	var suggested float64
	for _, l := range strings.Split(r.stdout, "\n") {
		if rest, ok := strings.CutPrefix(l, "suggested learning rate "); ok {
			v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
			if err != nil {
				t.Fatalf("bad suggestion line %q", l)
			}
			suggested = v
		}
	}
	if !(suggested >= 1e-7 && suggested <= 10) {
		t.Fatalf("suggestion %g outside the sweep:\n%s", suggested, r.stdout)
	}
	if !strings.Contains(r.stdout, "(15 training images, base frozen)") {
		t.Errorf("the sweep does not use the training split:\n%s", r.stdout)
	}
	b, err := os.ReadFile(filepath.Join(out, train.LRFindPNG))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if sz := img.Bounds().Size(); sz.X != 900 || sz.Y != 500 {
		t.Errorf("plot is %v, want 900x500", sz)
	}
}

func TestLRFindErrors(t *testing.T) {
	base := writeGraftFile(t)
	dir := writeImageFolder(t, []string{"cat", "dog"}, 2)
	for _, args := range [][]string{
		{"lr-find"},
		{"lr-find", "--data", dir},
		{"lr-find", "--base", base},
		{"lr-find", "--data", dir, "--base", base, "--steps", "3"},
		{"lr-find", "--data", dir, "--base", base, "--min-lr", "1", "--max-lr", "0.1"},
		{"lr-find", "--data", dir, "--base", base, "--val-split", "1"},
		{"lr-find", "--data", dir, "--base", base, "stray"},
	} {
		r := runGraft(t, args...)
		r.wantCode(t, 2)
		if !strings.Contains(r.stderr, "graft lr-find --help") {
			t.Errorf("%v: no pointer to help: %s", args, r.stderr)
		}
	}
	r := runGraft(t, "lr-find", "--data", dir, "--base", filepath.Join(t.TempDir(), "missing.graft"), "--out", t.TempDir())
	r.wantCode(t, 1)
	r = runGraft(t, "lr-find", "--data", filepath.Join(t.TempDir(), "nothing"), "--base", base, "--out", t.TempDir())
	r.wantCode(t, 1)
}
