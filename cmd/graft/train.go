package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/graft-ml/graft"
	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/modelio"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/train"
)

func init() {
	register(&command{name: "train", summary: "train a classifier for your images on a pretrained base", run: runTrain})
}

const trainHelp = `Usage:
  graft train --data DIR --base NAME|FILE [--out DIR] [flags]

Trains a classifier for the images in DIR (one sub-folder per class, or a
CSV manifest of path,label lines) on a pretrained base, in the classic
transfer-learning recipe:

  1. the base is frozen and a new head trained on it (--head-epochs); the
     base's features are computed once and cached, so even the default 100
     epochs take seconds after the first;
  2. the last --finetune-blocks blocks of the base are unfrozen and trained
     with the head at a lower learning rate (--finetune-epochs); with
     --gradual N they are unfrozen in N stages, the last blocks first (as
     ULMFiT does), and --base-lr-scale gives the base a lower rate than the
     head (discriminative learning rates).

A frozen BatchNorm runs in inference mode, and unfrozen BatchNorm layers keep
their pretrained statistics. The base is a zoo name whose weights were
downloaded with 'graft models pull', or any model file Graft reads (Graft,
ONNX, TFLite, TF.js, Keras); the preprocessing comes with it. The data is
split into training and validation sets, stratified and seeded.

The run folder (--out) gets best.graft (the best model by validation
accuracy), last.graft (a checkpoint with the optimizer state; --resume
continues from it), metrics.csv and metrics.json, config.json (the command's
settings), and a report: report.html (one self-contained page: metrics,
per-class precision/recall/F1, confusion matrix, worst predictions) with
loss.png, accuracy.png and confusion.png.
Ctrl-C stops after saving.

Example:
  graft train --data photos/ --base mobilenet_v2 --out runs/pets
  graft train --data photos/ --base model.tflite --head-epochs 30 --finetune-epochs 0
`

func runTrain(e *env, args []string) error {
	fs := e.flags("train", trainHelp)
	dataDir := fs.String("data", "", "image folder (one sub-folder per class) or CSV manifest (required)")
	base := fs.String("base", "", "zoo name or model file to transfer from (required)")
	out := fs.String("out", "", "run folder (default runs/<data folder name>)")
	cut := fs.String("cut", "", "node to cut the base at (default: before the file's classifier)")
	headEpochs := fs.Int("head-epochs", 100, "epochs training the head on the frozen base")
	ftEpochs := fs.Int("finetune-epochs", 5, "epochs fine-tuning the base's last blocks with the head")
	ftBlocks := fs.Int("finetune-blocks", 2, "blocks of the base to unfreeze for fine-tuning (0: all)")
	lr := fs.Float64("lr", 3e-3, "learning rate of the head phase")
	ftLR := fs.Float64("finetune-lr", 0, "learning rate of fine-tuning (default lr/10)")
	gradual := fs.Int("gradual", 0, "unfreeze the --finetune-blocks gradually, in this many stages that share the fine-tuning epochs (0: all at once)")
	baseLRScale := fs.Float64("base-lr-scale", 1, "discriminative learning rates: the base's rate is this times the head's while fine-tuning")
	batch := fs.Int("batch", 32, "batch size")
	seed := fs.Uint64("seed", 1, "random seed (same seed, same result)")
	valSplit := fs.Float64("val-split", 0.2, "fraction of the images held out for validation")
	dropout := fs.Float64("dropout", 0.1, "dropout before the classifier")
	hidden := fs.Int("hidden", 0, "width of a hidden Dense layer in the head (0: none)")
	augment := fs.Bool("augment", false, "random crops, flips and colour jitter while training")
	balance := fs.String("balance", "", `class imbalance: "weights" (weighted loss) or "sampler" (balanced sampling)`)
	patience := fs.Int("patience", 0, "stop a phase after this many epochs without a better validation loss (0: never)")
	optimizer := fs.String("optimizer", "adamw", "adam, adamw, sgd or rmsprop")
	weightDecay := fs.Float64("weight-decay", 0.05, "weight decay (decoupled for adamw)")
	resume := fs.Bool("resume", false, "continue the run in --out from its last checkpoint")
	cacheDir := fs.String("feature-cache", "", "folder of the feature cache (default: the user cache folder's graft/features; 'off' disables it)")
	workers := fs.Int("workers", 0, "image decoding workers (default: one per core)")
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	switch {
	case *dataDir == "":
		return usagef("train", "--data is required")
	case *base == "":
		return usagef("train", "--base is required")
	case *headEpochs < 0 || *ftEpochs < 0 || *headEpochs+*ftEpochs == 0:
		return usagef("train", "--head-epochs %d and --finetune-epochs %d: want at least one epoch in all", *headEpochs, *ftEpochs)
	case !(*valSplit > 0 && *valSplit < 1):
		return usagef("train", "--val-split %g: want a fraction between 0 and 1", *valSplit)
	case *batch < 1:
		return usagef("train", "--batch %d: want at least 1", *batch)
	case *ftBlocks < 0:
		return usagef("train", "--finetune-blocks %d: want 0 (all) or more", *ftBlocks)
	case *gradual < 0:
		return usagef("train", "--gradual %d: want 0 (off) or a number of stages", *gradual)
	case !(*baseLRScale > 0 && *baseLRScale <= 1):
		return usagef("train", "--base-lr-scale %g: want a factor in (0, 1]", *baseLRScale)
	case *balance != "" && *balance != "weights" && *balance != "sampler":
		return usagef("train", "--balance %q: want weights or sampler", *balance)
	}
	ds, err := openDataset(*dataDir)
	if err != nil {
		return err
	}
	if len(ds.Skipped) > 0 {
		fmt.Fprintf(e.stderr, "skipped %d unreadable file(s):\n", len(ds.Skipped))
		for i, s := range ds.Skipped {
			if i == 10 {
				fmt.Fprintf(e.stderr, "  ... and %d more\n", len(ds.Skipped)-10)
				break
			}
			fmt.Fprintf(e.stderr, "  %s\n", s)
		}
	}
	parts, err := data.StratifiedSplit(ds, *seed, 1-*valSplit, *valSplit)
	if err != nil {
		return err
	}
	trainSet, _ := data.Subset(ds, parts[0])
	valSet, _ := data.Subset(ds, parts[1])
	if trainSet.Len() == 0 || valSet.Len() == 0 {
		return fmt.Errorf("%s: %d images are too few to split into training and validation sets", *dataDir, ds.Len())
	}

	b, err := graft.BaseFromFile(*base, *cut)
	if err != nil {
		return err
	}
	model, err := b.WithHead(ds.Classes, graft.Head{Dropout: *dropout, Hidden: hiddenLayers(*hidden), Seed: *seed})
	if err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Join("runs", filepath.Base(filepath.Clean(*dataDir)))
	}
	if !*resume {
		if _, err := os.Stat(filepath.Join(*out, train.LastFile)); err == nil {
			return fmt.Errorf("%s already holds a training run: use --resume to continue it or another --out", *out)
		}
	}
	cfg := train.Config{BatchSize: *batch, Seed: *seed, Optimizer: *optimizer, WeightDecay: *weightDecay, Balance: *balance, Patience: *patience,
		BaseLRScale: *baseLRScale, Workers: *workers, OutDir: *out, Resume: *resume, Meta: map[string]any{"base": *base, "data": *dataDir}}
	if *cacheDir != "off" {
		dir := *cacheDir
		if dir == "" {
			if d, err := os.UserCacheDir(); err == nil {
				dir = filepath.Join(d, "graft", "features")
			}
		}
		cfg.Cache = &train.FeatureCache{Dir: dir}
	}
	if *augment {
		cfg.Augment = &data.Augment{Crop: &data.RandomResizedCrop{}, HFlip: 0.5, Jitter: data.ColorJitter{Brightness: 0.2, Contrast: 0.2, Saturation: 0.2}}
	}
	recipe := graft.Recipe{HeadEpochs: *headEpochs, FineTuneEpochs: *ftEpochs, FineTuneBlocks: *ftBlocks, GradualStages: *gradual,
		LR: *lr, FineTuneLR: *ftLR, Train: cfg}
	phases, err := recipe.Phases()
	if err != nil {
		return usagef("train", "%s", err)
	}
	writeTrainSummary(e.stdout, model, *base, phases, trainSet.Len(), valSet.Len(), ds.Classes)
	bar := &epochBar{w: e.stderr}
	recipe.Train.OnBatch = bar.batch
	recipe.Train.OnEpoch = func(l train.EpochLog) { bar.epoch(l, e.stdout) }
	hist, err := model.Fit(e.ctx, trainSet, valSet, recipe)
	if errors.Is(err, train.ErrInterrupted) {
		fmt.Fprintf(e.stderr, "\ninterrupted: the last complete epoch is saved in %s; continue with --resume\n", filepath.Join(*out, train.LastFile))
		return err
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "\r%-100s\r", "") // clear the progress bar before the error
		return err
	}
	fmt.Fprintf(e.stdout, "\nbest: %s epoch %d, validation accuracy %.1f%% (loss %.4f)\nmodel: %s\n", hist.Best.Phase, hist.Best.Epoch,
		100*hist.Best.ValAcc, hist.Best.ValLoss, filepath.Join(*out, train.BestFile))
	writeRunReport(e, fs, *out, valSet, hist)
	return nil
}

func hiddenLayers(n int) []int {
	if n <= 0 {
		return nil
	}
	return []int{n}
}

// openDataset opens an image folder or a CSV manifest.
func openDataset(path string) (*data.FileDataset, error) {
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return data.OpenCSV(path, data.FolderOptions{})
	}
	return data.OpenImageFolder(path, data.FolderOptions{})
}

// writeTrainSummary prints what is about to be trained.
func writeTrainSummary(w io.Writer, m *graft.Model, base string, phases []train.Phase, nTrain, nVal int, classes []string) {
	net := m.Network()
	fmt.Fprintf(w, "base          %s (cut at %s, %d blocks)\n", base, net.Feature, len(net.Blocks))
	fmt.Fprintf(w, "preprocessing %s\n", modelio.DescribePreprocess(net.Preprocess))
	fmt.Fprintf(w, "data          %d classes, %d training and %d validation images\n", len(classes), nTrain, nVal)
	total := 0
	bns := 0
	for _, name := range net.Graph.Nodes() {
		if l, _ := net.Graph.Layer(name); l != nil {
			if _, ok := l.(*nn.BatchNorm); ok {
				bns++
			}
		}
	}
	for _, p := range net.Graph.Params() {
		total += p.Value.Size()
	}
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "\nphase\tepochs\tlr\ttrainable\tfrozen\tBatchNorm")
	for _, p := range phases {
		p.Freeze.Apply(net)
		tr, fr := net.Counts()
		policy := "frozen (inference mode)"
		if !p.Freeze.Base || p.Freeze.LastBlocks > 0 {
			policy = "unfrozen ones learn scale/offset; statistics kept"
		}
		if bns == 0 {
			policy = "none"
		}
		fmt.Fprintf(tw, "%s\t%d\t%g\t%d\t%d\t%s\n", p.Name, p.Epochs, p.LR, tr, fr, policy)
	}
	tw.Flush()
	fmt.Fprintf(w, "parameters    %d\n\n", total)
}

// epochBar draws a progress bar with throughput and time left.
type epochBar struct {
	w      io.Writer
	last   time.Time
	epochs int // epochs of the current phase, from the batch reports
}

func (b *epochBar) batch(p train.BatchProgress) {
	b.epochs = p.Epochs
	if time.Since(b.last) < 200*time.Millisecond && p.Batch != p.Batches {
		return
	}
	b.last = time.Now()
	const width = 24
	filled := width * p.Batch / max(p.Batches, 1)
	rate := float64(p.Samples) / max(p.Elapsed.Seconds(), 1e-9)
	left := time.Duration(float64(p.Batches-p.Batch) * p.Elapsed.Seconds() / float64(max(p.Batch, 1)) * float64(time.Second)).Round(time.Second)
	fmt.Fprintf(b.w, "\r%-9s %3d/%-3d [%s%s] %4d/%-4d loss %.4f  %6.1f img/s  %s left ", p.Phase, p.Epoch, p.Epochs,
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), p.Batch, p.Batches, p.Loss, rate, left)
}

func (b *epochBar) epoch(l train.EpochLog, w io.Writer) {
	fmt.Fprintf(b.w, "\r%-100s\r", "")
	// Long phases (cached head epochs take milliseconds) print every tenth
	// epoch, the first and the last; metrics.csv has them all.
	if b.epochs > 20 && l.Epoch != 1 && l.Epoch != b.epochs && l.Epoch%10 != 0 {
		return
	}
	cached := ""
	if l.Cached {
		cached = "  (cached features)"
	}
	fmt.Fprintf(w, "%-9s epoch %3d  loss %.4f  acc %.3f  val loss %.4f  val acc %.3f  %5.1fs%s\n", l.Phase, l.Epoch,
		l.TrainLoss, l.TrainAcc, l.ValLoss, l.ValAcc, l.Seconds, cached)
}
