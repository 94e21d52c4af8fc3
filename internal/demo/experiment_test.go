package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/graft-ml/graft/data"
)

// TestExperiment runs one variant of the demo, for the table in
// docs/PERFORMANCE.md; it is skipped unless GRAFT_DEMO_EXPERIMENT=1. The
// variant comes from the environment (unset: the demo's default):
//
//	SEED=2 (default 1, as graft demo's) SOURCE_EPOCHS=4 WIDTH=1.0 CUT=features.10.conv.0.2
//	SOURCE_CLASSES=0,1,2,5,8 TARGET_CLASSES=3,4,6,7,9
//	SOURCE_AUGMENT=none|default|strong  SOURCE_ROTATIONS=1
//	TARGET_AUGMENT=1  FINETUNE_LR=3e-4  HEAD_ONLY=1 (also the accuracy before fine-tuning)
//
// Example:
//
//	GRAFT_DEMO_EXPERIMENT=1 SEED=2 go test -count=1 -run TestExperiment -v -timeout 1h ./internal/demo/
func TestExperiment(t *testing.T) {
	if os.Getenv("GRAFT_DEMO_EXPERIMENT") != "1" {
		t.Skip("set GRAFT_DEMO_EXPERIMENT=1 to run a demo experiment (minutes)")
	}
	if _, err := os.Stat(filepath.Join(fashionDir, "t10k-labels-idx1-ubyte.gz")); err != nil {
		t.Skipf("Fashion-MNIST not installed: %v", err)
	}
	env := func(k string) string { return os.Getenv(k) }
	num := func(k string) float64 {
		v, err := strconv.ParseFloat(env(k), 64)
		if env(k) != "" && err != nil {
			t.Fatalf("%s=%q: %v", k, env(k), err)
		}
		return v
	}
	classes := func(k string) []int {
		if env(k) == "" {
			return nil
		}
		var out []int
		for _, f := range strings.Split(env(k), ",") {
			c, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%s=%q: %v", k, env(k), err)
			}
			out = append(out, c)
		}
		return out
	}
	cache := env("GRAFT_DEMO_CACHE")
	if cache == "" {
		cache = filepath.Join(os.TempDir(), "graft-demo-experiments")
	}
	seed := uint64(1) // graft demo's default
	if env("SEED") != "" {
		seed = uint64(num("SEED"))
	}
	o := Options{Seed: seed, SourceEpochs: int(num("SOURCE_EPOCHS")), Width: num("WIDTH"), CutAt: env("CUT"),
		SourceClasses: classes("SOURCE_CLASSES"), TargetClasses: classes("TARGET_CLASSES"), SourceRotations: env("SOURCE_ROTATIONS") == "1",
		FineTuneLR: num("FINETUNE_LR"), CacheDir: cache, Log: os.Stderr}
	switch env("SOURCE_AUGMENT") {
	case "", "default":
	case "none":
		o.SourceAugment = &data.Augment{}
	case "strong":
		o.SourceAugment = &data.Augment{Crop: &data.RandomResizedCrop{Scale: [2]float64{0.4, 1}}, HFlip: 0.5, Rotation: 15}
	default:
		t.Fatalf("SOURCE_AUGMENT=%q: want none, default or strong", env("SOURCE_AUGMENT"))
	}
	if env("TARGET_AUGMENT") == "1" {
		o.TargetAugment = &data.Augment{Crop: &data.RandomResizedCrop{Scale: [2]float64{0.8, 1}}, HFlip: 0.5, Rotation: 5}
	}
	o.OutDir = t.TempDir()
	r, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	head := "-"
	if env("HEAD_ONLY") == "1" {
		o.OutDir, o.FineTuneEpochs, o.NoScratch = t.TempDir(), -1, true
		h, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		head = fmt.Sprintf("%.1f", 100*h.TransferAccuracy)
	}
	fmt.Printf("RESULT seed %d: source %.1f%%, transferred %.1f%% (head only %s), from scratch %.1f%%, gain %+.1f points\n",
		o.Seed, 100*r.SourceAccuracy, 100*r.TransferAccuracy, head, 100*r.ScratchAccuracy, 100*(r.TransferAccuracy-r.ScratchAccuracy))
}
