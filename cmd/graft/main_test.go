package main

import (
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	r := runGraft(t, "--help")
	r.wantCode(t, 0)
	wantAll(t, "graft --help", r.stdout, "Usage:", "models", "inspect", "predict", "Exit codes:", "2  usage error", "GRAFT_WEIGHTS_MIRROR")
	for _, args := range [][]string{
		{"models", "--help"}, {"models", "pull", "--help"}, {"inspect", "-h"}, {"predict", "--help"}, {"help", "predict"},
	} {
		r := runGraft(t, args...)
		r.wantCode(t, 0)
		wantAll(t, strings.Join(args, " "), r.stdout, "Usage:", "Example:", "Exit codes:")
		if r.stderr != "" {
			t.Errorf("%v wrote to stderr: %s", args, r.stderr)
		}
	}
	wantAll(t, "predict --help", runGraft(t, "predict", "--help").stdout, "-top int", "-labels string", "-model string")
	wantAll(t, "models pull --help", runGraft(t, "models", "pull", "--help").stdout, "-source string", "GRAFT_WEIGHTS_MIRROR")
	// Every registered command has a help text of its own.
	for name := range commands {
		r := runGraft(t, name, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("graft %s --help: exit %d\n%s%s", name, r.code, r.stdout, r.stderr)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Usage:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"predict", "cat.jpg"}, "--model is required"},
		{[]string{"predict", "--model", "m.tflite"}, "name at least one image"},
		{[]string{"predict", "--model", "m.tflite", "--top", "0", "cat.jpg"}, "--top 0"},
		{[]string{"predict", "--model", "m.tflite", "--preprocess", "fancy", "cat.jpg"}, `--preprocess "fancy"`},
		{[]string{"predict", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"predict", "--top", "many"}, "invalid value"},
		{[]string{"inspect"}, "name the model file"},
		{[]string{"inspect", "a.onnx", "b.onnx"}, "one model at a time"},
		{[]string{"models", "resnet50"}, "graft models pull resnet50"},
		{[]string{"models", "pull"}, "name the model to download"},
		{[]string{"models", "pull", "alexnet9000"}, `unknown model "alexnet9000"`},
		{[]string{"models", "pull", "resnet18", "--source", "caffe"}, `--source "caffe"`},
	} {
		r := runGraft(t, tc.args...)
		if r.code != 2 {
			t.Errorf("graft %v: exit %d, want 2\n%s", tc.args, r.code, r.stderr)
			continue
		}
		if !strings.Contains(r.stderr, tc.want) {
			t.Errorf("graft %v: stderr lacks %q:\n%s", tc.args, tc.want, r.stderr)
		}
		if tc.args != nil && !strings.HasPrefix(r.stderr, "graft: ") {
			t.Errorf("graft %v: stderr does not start with \"graft: \":\n%s", tc.args, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("graft %v wrote to stdout: %s", tc.args, r.stdout)
		}
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	fsArgs := []string{"a.onnx", "--arch", "resnet18", "--", "--odd-name"}
	e := &env{stdout: new(strings.Builder), stderr: new(strings.Builder)}
	fs := e.flags("inspect", "help")
	arch := fs.String("arch", "", "")
	pos, err := e.parse(fs, fsArgs)
	if err != nil {
		t.Fatal(err)
	}
	if *arch != "resnet18" || len(pos) != 2 || pos[0] != "a.onnx" || pos[1] != "--odd-name" {
		t.Errorf("arch %q, positional %q", *arch, pos)
	}
}
