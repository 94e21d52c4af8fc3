package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/graft-ml/graft/internal/demo"
)

func init() {
	register(&command{name: "demo", summary: "a complete transfer-learning run on Fashion-MNIST, nothing downloaded", run: runDemo})
}

const demoHelp = `Usage:
  graft demo [--out DIR] [--weights FILE] [flags]

Runs a complete, honest transfer-learning experiment that needs nothing from
the web, only Debian's Fashion-MNIST (apt-get install dataset-fashion-mnist):

  1. Source task: a zoo MobileNetV2 (width 0.5, 32x32 input) is trained from
     scratch on five Fashion-MNIST classes (T-shirt, trouser, pullover,
     dress, coat): 30,000 images, 8 epochs, with random crops, flips and
     small rotations. The result is cached, so later runs skip this step.
  2. Target task: its classifier is removed, a new head is grafted on at
     block 7 for the other five classes (sandal, shirt, sneaker, bag, ankle
     boot), the base is frozen and the head trained, then the whole network
     is fine-tuned, all from only 20 labelled images per class.
  3. The transferred model is tested on those classes' 5,000 test images,
     beside the same network trained from scratch on the same 100 images.
     On a 2-core machine this takes about 3 minutes; the transferred model
     scored 85.1% against 78.1% from scratch (seed 1).

The run folder gets the transferred model (model.graft), result.json (both
accuracies), config.json (the settings), report.html (learning curves,
per-class precision/recall/F1, confusion matrix and the worst-predicted test
images, with loss.png, accuracy.png and confusion.png), and the metrics of
every epoch (CSV and JSON) and checkpoints of both runs.

With --weights, step 1 is skipped and the target task starts from the given
pretrained model instead: any model file Graft reads, or a zoo name whose
official ImageNet weights 'graft models pull' downloaded. The images are
prepared with that model's preprocessing; the from-scratch baseline runs
for zoo names only.

Example:
  graft demo
  graft demo --out runs/demo --seed 2
  graft demo --weights mobilenet_v1_1.0_224_quant_embedding_extractor.tflite
`

func runDemo(e *env, args []string) error {
	fs := e.flags("demo", demoHelp)
	var o demo.Options
	fs.StringVar(&o.OutDir, "out", "graft-demo", "run folder")
	fs.StringVar(&o.CacheDir, "cache", "", "folder for the pretrained source model and feature cache (default: the user cache folder's graft/demo)")
	fs.StringVar(&o.DataDir, "data", "/usr/share/datasets/fashion-mnist", "folder with Fashion-MNIST's gzipped IDX files")
	fs.StringVar(&o.Weights, "weights", "", "pretrained model to transfer from instead of pretraining: any model file, or a zoo name pulled with 'graft models pull'")
	fs.StringVar(&o.CutAt, "cut", "", "node to cut the source network at (default: block 7 of the demo's own source, else before the classifier)")
	seed := fs.Uint64("seed", 1, "random seed")
	fs.IntVar(&o.PerClass, "per-class", 20, "labelled target images per class")
	fs.IntVar(&o.Workers, "workers", 0, "data loading workers (default: one per core)")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	if o.PerClass < 1 {
		return usagef("demo", "--per-class %d: want at least 1", o.PerClass)
	}
	o.Seed = *seed
	o.Log = e.stderr
	start := time.Now()
	r, err := demo.Run(e.ctx, o)
	if err != nil {
		return err
	}
	w := e.stdout
	fmt.Fprintf(w, "\nTarget task: 5 Fashion-MNIST classes, %d labelled images each, tested on %d images\n\n", o.PerClass, r.TestImages)
	fmt.Fprintf(w, "  %-34s %8s\n", "model", "accuracy")
	fmt.Fprintf(w, "  %-34s %7.1f%%\n", "transferred (pretrained base)", 100*r.TransferAccuracy)
	if r.ScratchRun {
		fmt.Fprintf(w, "  %-34s %7.1f%%\n", "same network from scratch", 100*r.ScratchAccuracy)
		fmt.Fprintf(w, "  %-34s %+7.1f points\n\n", "gain from transfer", 100*(r.TransferAccuracy-r.ScratchAccuracy))
	} else {
		fmt.Fprintf(w, "  %-34s %8s\n\n", "same network from scratch", "not run")
	}
	if o.Weights == "" {
		src := "pretrained now"
		if r.SourceCached {
			src = "cached"
		}
		fmt.Fprintf(w, "Source model (%s): %.1f%% on the source classes' test images\n", src, 100*r.SourceAccuracy)
	}
	abs, _ := filepath.Abs(r.ModelPath)
	fmt.Fprintf(w, "Model saved to %s\nReport: %s\nRun folder: %s (%s)\n", abs, filepath.Join(r.RunDir, "report.html"), r.RunDir, time.Since(start).Round(time.Second))
	return nil
}
