package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/graft-ml/graft"
	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/train"
)

func init() {
	register(&command{name: "lr-find", summary: "sweep learning rates to pick one for 'graft train --lr'", run: runLRFind})
}

const lrFindHelp = `Usage:
  graft lr-find --data DIR --base NAME|FILE [--out DIR] [flags]

Finds a learning rate for the head phase of 'graft train': builds the same
model (the base, frozen, with a new head for the classes in DIR), then
trains it on the training split for up to --steps batches while the
learning rate grows exponentially from --min-lr to --max-lr, and stops once
the loss blows up (4 times its minimum). It suggests the rate where the
smoothed loss falls fastest, and also reports the rate of the lowest loss
(a tenth of which is another common choice). The model is discarded; the
plot of loss against learning rate is written to lr_find.png in --out.

Use the same --base, --cut, --hidden, --dropout, --optimizer, --batch,
--seed and --val-split as the training run.

Example:
  graft lr-find --data photos/ --base mobilenet_v2
  graft train --data photos/ --base mobilenet_v2 --lr 0.003
`

func runLRFind(e *env, args []string) error {
	fs := e.flags("lr-find", lrFindHelp)
	dataDir := fs.String("data", "", "image folder (one sub-folder per class) or CSV manifest (required)")
	base := fs.String("base", "", "zoo name or model file to transfer from (required)")
	out := fs.String("out", "", "folder for lr_find.png (default runs/<data folder name>)")
	cut := fs.String("cut", "", "node to cut the base at (default: before the file's classifier)")
	minLR := fs.Float64("min-lr", 1e-7, "first learning rate of the sweep")
	maxLR := fs.Float64("max-lr", 10, "last learning rate of the sweep")
	steps := fs.Int("steps", 100, "training steps (batches) of the sweep")
	batch := fs.Int("batch", 32, "batch size")
	seed := fs.Uint64("seed", 1, "random seed")
	valSplit := fs.Float64("val-split", 0.2, "fraction of the images held out (as graft train does); the sweep uses the rest")
	dropout := fs.Float64("dropout", 0.1, "dropout before the classifier")
	hidden := fs.Int("hidden", 0, "width of a hidden Dense layer in the head (0: none)")
	optimizer := fs.String("optimizer", "adamw", "adam, adamw, sgd or rmsprop")
	weightDecay := fs.Float64("weight-decay", 0.05, "weight decay (decoupled for adamw)")
	cacheDir := fs.String("feature-cache", "", "folder of the feature cache (default: the user cache folder's graft/features; 'off' disables it)")
	workers := fs.Int("workers", 0, "image decoding workers (default: one per core)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("lr-find", "unexpected argument %q: give the data with --data", pos[0])
	case *dataDir == "":
		return usagef("lr-find", "--data is required")
	case *base == "":
		return usagef("lr-find", "--base is required")
	case !(*minLR > 0) || !(*maxLR > *minLR):
		return usagef("lr-find", "--min-lr %g and --max-lr %g: want 0 < min < max", *minLR, *maxLR)
	case *steps < 10:
		return usagef("lr-find", "--steps %d: want at least 10", *steps)
	case *batch < 1:
		return usagef("lr-find", "--batch %d: want at least 1", *batch)
	case !(*valSplit >= 0 && *valSplit < 1):
		return usagef("lr-find", "--val-split %g: want a fraction in [0, 1)", *valSplit)
	}
	ds, err := openDataset(*dataDir)
	if err != nil {
		return err
	}
	var trainSet data.Dataset = ds
	if *valSplit > 0 {
		parts, err := data.StratifiedSplit(ds, *seed, 1-*valSplit, *valSplit)
		if err != nil {
			return err
		}
		if trainSet, err = data.Subset(ds, parts[0]); err != nil {
			return err
		}
	}
	if trainSet.Len() == 0 {
		return fmt.Errorf("%s: no training images", *dataDir)
	}
	b, err := graft.BaseFromFile(*base, *cut)
	if err != nil {
		return err
	}
	model, err := b.WithHead(ds.Classes, graft.Head{Dropout: *dropout, Hidden: hiddenLayers(*hidden), Seed: *seed})
	if err != nil {
		return err
	}
	net := model.Network()
	if err := (train.Freeze{Base: true}).Apply(net); err != nil {
		return err
	}
	cfg := train.LRFindConfig{MinLR: *minLR, MaxLR: *maxLR, Steps: *steps, BatchSize: *batch, Seed: *seed, Optimizer: *optimizer,
		WeightDecay: *weightDecay, Workers: *workers}
	if *cacheDir != "off" {
		dir := *cacheDir
		if dir == "" {
			if d, err := os.UserCacheDir(); err == nil {
				dir = filepath.Join(d, "graft", "features")
			}
		}
		cfg.Cache = &train.FeatureCache{Dir: dir}
	}
	fmt.Fprintf(e.stdout, "sweeping learning rates %g to %g over up to %d steps of %d images (%d training images, base frozen)\n",
		*minLR, *maxLR, *steps, *batch, trainSet.Len())
	res, err := train.FindLR(e.ctx, net, trainSet, cfg)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Join("runs", filepath.Base(filepath.Clean(*dataDir)))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	plot, err := res.WritePlot(*out)
	if err != nil {
		return err
	}
	last := res.LRs[len(res.LRs)-1]
	if res.Diverged {
		fmt.Fprintf(e.stdout, "the loss diverged at %.3g after %d steps\n", last, len(res.LRs))
	} else {
		fmt.Fprintf(e.stdout, "swept %d steps up to %.3g\n", len(res.LRs), last)
	}
	fmt.Fprintf(e.stdout, "suggested learning rate %.2g (steepest descent of the loss)\n", res.Steepest)
	fmt.Fprintf(e.stdout, "lowest loss at %.2g (a tenth of it: %.2g)\nplot: %s\n", res.MinLoss, res.MinLossOver10(), plot)
	fmt.Fprintf(e.stdout, "next: graft train --data %s --base %s --lr %.2g\n", *dataDir, *base, res.Steepest)
	return nil
}
