package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/formats/graftfile"
	"github.com/graft-ml/graft/nn"
)

// result is one in-process run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// runGraft runs the command line args in-process.
func runGraft(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// wantCode fails the test unless r exited with code.
func (r result) wantCode(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

// repoRoot is the module root, found from this file's location.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// shared returns a path in the shared folder beside the repository root,
// or skips the test when it is absent.
func shared(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "..", "shared", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("skipping: shared data %s is not present beside the repository (%v)", rel, err)
	}
	return p
}

// writeGraftFile saves a small classifier (conv frozen, ReLU, pool, dense
// with 3 classes) with labels and metadata, and returns its path.
func writeGraftFile(t *testing.T) string {
	t.Helper()
	g, must := newTestGraph(t)
	conv, err := nn.NewConv2D("conv", nn.Conv2DConfig{InChannels: 3, Filters: 4, KernelH: 3, KernelW: 3, Padding: nn.PadSame(), Seed: 9})
	must(err)
	dense, err := nn.NewDense("fc", nn.DenseConfig{In: 4, Out: 3, Seed: 2})
	must(err)
	must(g.Add("conv", conv, "image"))
	must(g.Add("relu", nn.NewReLU("relu"), "conv"))
	must(g.Add("pool", nn.NewGlobalAvgPool("pool", false), "relu"))
	must(g.Add("fc", dense, "pool"))
	must(g.SetTrainable("conv", false))
	p := filepath.Join(t.TempDir(), "pets.graft")
	must(graftfile.Save(p, &graftfile.Model{Graph: g,
		Preprocess: data.Preprocess{Height: 16, Width: 16, Resize: data.ResizeSquash, Scale: data.ScaleSymmetric},
		Labels:     []string{"cat", "dog", "owl"}, Meta: map[string]any{"base": "mobilenet_v2", "val_accuracy": 0.875}}))
	return p
}

// newTestGraph returns a graph with one input, "image", and a function
// that fails the test on an error.
func newTestGraph(t *testing.T) (*nn.Graph, func(error)) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	g := nn.NewGraph()
	must(g.Input("image"))
	return g, must
}

// topOne returns, for each image line of predict's output, the label of
// its first (most likely) class.
func topOne(t *testing.T, stdout string) map[string]string {
	t.Helper()
	got := map[string]string{}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "  ") {
			continue
		}
		if i+1 >= len(lines) {
			t.Fatalf("image %q has no classes in:\n%s", lines[i], stdout)
		}
		fields := strings.SplitN(strings.TrimSpace(lines[i+1]), "  ", 2)
		if len(fields) != 2 {
			t.Fatalf("bad class line %q", lines[i+1])
		}
		got[filepath.Base(lines[i])] = fields[1]
	}
	return got
}
