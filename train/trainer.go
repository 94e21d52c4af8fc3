// Package train fits Graft networks: training phases that freeze and
// unfreeze parts of a pretrained base, a feature cache for the frozen
// prefix, early stopping, atomic checkpoints with resumption, metrics and
// run reports.
package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/optim"
	"github.com/graft-ml/graft/tensor"
)

// Phase is one stage of training, such as "train the head with the base
// frozen" or "fine-tune the last two blocks at a lower rate".
type Phase struct {
	Name   string
	Epochs int
	Freeze Freeze
	// LR is the phase's peak learning rate; it warms up linearly over the
	// first WarmupFraction of the phase's steps and decays along a cosine
	// to LR/100 by its end.
	LR             float64
	WarmupFraction float64
}

// Config configures Fit. Zero values take the defaults noted.
type Config struct {
	Phases    []Phase
	BatchSize int // default 32
	Seed      uint64
	// Optimizer is "adam" (default), "adamw", "sgd" (momentum 0.9) or "rmsprop".
	Optimizer   string
	WeightDecay float64
	// BaseLRScale multiplies the learning rate of the base's parameters
	// relative to the head's (discriminative learning rates); 0 means 1.
	BaseLRScale    float64
	LabelSmoothing float64
	// Balance handles class imbalance: "" (none), "weights" (a class-weighted
	// loss) or "sampler" (balanced sampling with replacement).
	Balance string
	// Augment, when set, transforms every training image at random.
	Augment *data.Augment
	// Views is how many augmented versions of each image the feature cache
	// keeps (epoch e trains on view e mod Views); default 4.
	Views int
	// Patience stops a phase after this many epochs without a better
	// validation loss; 0 never stops early.
	Patience int
	Workers  int
	// Cache, when set, computes the frozen prefix's output once per image
	// (and view) and reuses it.
	Cache *FeatureCache
	// OutDir receives best.graft, last.graft and the metrics log; empty
	// writes nothing.
	OutDir string
	// Resume continues from OutDir/last.graft when it exists.
	Resume bool
	// CheckFinite stops at the first NaN or Inf, naming the node.
	CheckFinite bool
	// OnEpoch and OnBatch, when set, are called as training progresses.
	OnEpoch func(EpochLog)
	OnBatch func(BatchProgress)
	// Meta is copied into every saved model's metadata.
	Meta map[string]any
}

// EpochLog is one line of the metrics log.
type EpochLog struct {
	Phase     string  `json:"phase"`
	Epoch     int     `json:"epoch"` // within the phase, from 1
	Step      int64   `json:"step"`  // optimizer steps so far in the run
	LR        float64 `json:"lr"`
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_accuracy"`
	ValLoss   float64 `json:"val_loss"`
	ValAcc    float64 `json:"val_accuracy"`
	Seconds   float64 `json:"seconds"`
	Cached    bool    `json:"feature_cache"`
}

// BatchProgress reports one finished training step.
type BatchProgress struct {
	Phase          string
	Epoch, Epochs  int
	Batch, Batches int
	Loss           float64
	Samples        int
	Elapsed        time.Duration
}

// History is what Fit did.
type History struct {
	Epochs []EpochLog
	// Best is the epoch with the highest validation accuracy.
	Best EpochLog
	// Interrupted is true when the context was cancelled.
	Interrupted bool
}

// ErrInterrupted is returned (wrapped) when Fit stops because its context
// was cancelled; the last completed epoch's checkpoint is on disk.
var ErrInterrupted = errors.New("training interrupted")

func (c *Config) defaults() error {
	if c.BatchSize == 0 {
		c.BatchSize = 32
	}
	if c.Optimizer == "" {
		c.Optimizer = "adam"
	}
	if c.BaseLRScale == 0 {
		c.BaseLRScale = 1
	}
	if c.Views == 0 {
		c.Views = 4
	}
	if c.BatchSize < 1 {
		return fmt.Errorf("train: batch size %d must be positive", c.BatchSize)
	}
	if len(c.Phases) == 0 {
		return errors.New("train: no training phases")
	}
	for i, p := range c.Phases {
		if p.Epochs < 1 || !(p.LR > 0) || math.IsInf(p.LR, 0) || p.WarmupFraction < 0 || p.WarmupFraction >= 1 {
			return fmt.Errorf("train: phase %d (%s): %d epochs at learning rate %g, warm-up %g: need epochs >= 1, 0 < lr, warm-up in [0, 1)",
				i+1, p.Name, p.Epochs, p.LR, p.WarmupFraction)
		}
	}
	switch c.Balance {
	case "", "weights", "sampler":
	default:
		return fmt.Errorf("train: balance %q: want weights or sampler", c.Balance)
	}
	return nil
}

// Fit trains net on trainDS, validating on valDS after every epoch.
func Fit(ctx context.Context, net *Network, trainDS, valDS data.Dataset, cfg Config) (*History, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if err := checkDatasets(net, trainDS, valDS); err != nil {
		return nil, err
	}
	net.Graph.CheckFinite = cfg.CheckFinite
	var weights []float32
	if cfg.Balance == "weights" {
		w, err := data.ClassWeights(trainDS, len(net.Classes))
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		for _, v := range w {
			weights = append(weights, float32(v))
		}
	}
	loss, err := nn.NewSoftmaxCrossEntropy(nn.CrossEntropyConfig{LabelSmoothing: cfg.LabelSmoothing, ClassWeights: weights})
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	opt, err := newOptimizer(cfg, net)
	if err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, net: net, trainDS: trainDS, valDS: valDS, loss: loss, opt: opt, hist: &History{}}
	r.hist.Best.ValAcc = -1
	if cfg.OutDir != "" {
		removeStaleTemps(cfg.OutDir)
	}
	if cfg.Resume && cfg.OutDir != "" {
		if err := r.restore(); err != nil {
			return nil, err
		}
		// A kill between saving last.graft and the metrics leaves the
		// metrics one epoch behind the checkpoint: rewrite them from it.
		if len(r.hist.Epochs) > 0 {
			if err := WriteMetrics(cfg.OutDir, r.hist.Epochs); err != nil {
				return nil, err
			}
		}
	}
	for r.phase < len(cfg.Phases) {
		if err := r.runPhase(ctx); err != nil {
			if errors.Is(err, ErrInterrupted) {
				r.hist.Interrupted = true
				r.saveInterrupted()
			}
			return r.hist, err
		}
		r.phase++
		r.epoch = 0
		r.badEpochs = 0
		r.bestPhaseLoss = math.Inf(1)
	}
	if cfg.Cache != nil {
		if err := cfg.Cache.Flush(); err != nil {
			return r.hist, err
		}
	}
	return r.hist, nil
}

func checkDatasets(net *Network, trainDS, valDS data.Dataset) error {
	if trainDS == nil || trainDS.Len() == 0 {
		return errors.New("train: the training set is empty")
	}
	if valDS == nil || valDS.Len() == 0 {
		return errors.New("train: the validation set is empty")
	}
	if n := len(trainDS.ClassNames()); n != len(net.Classes) {
		return fmt.Errorf("train: the dataset has %d classes but the head has %d outputs", n, len(net.Classes))
	}
	if len(net.Classes) < 2 {
		return fmt.Errorf("train: need at least two classes, have %d", len(net.Classes))
	}
	return nil
}

// newOptimizer makes one optimizer for the whole run: the head's parameters
// at the phase rate, the base's at BaseLRScale times it. Frozen parameters
// are skipped by every step, so unfreezing needs no new optimizer and the
// head's moments carry over between phases.
func newOptimizer(cfg Config, net *Network) (optim.Optimizer, error) {
	head := map[string]bool{}
	for _, h := range net.headNodes() {
		head[h] = true
	}
	var headParams, baseParams []*nn.Param
	for _, name := range net.Graph.Nodes() {
		l, _ := net.Graph.Layer(name)
		if l == nil {
			continue
		}
		if head[name] {
			headParams = append(headParams, l.Params()...)
		} else {
			baseParams = append(baseParams, l.Params()...)
		}
	}
	groups := []optim.Group{{Params: headParams}}
	if len(baseParams) > 0 {
		groups = append(groups, optim.Group{Params: baseParams, LRScale: cfg.BaseLRScale})
	}
	lr := cfg.Phases[0].LR
	var opt optim.Optimizer
	var err error
	switch cfg.Optimizer {
	case "adam":
		c := optim.DefaultAdamConfig(lr)
		c.WeightDecay = cfg.WeightDecay
		opt, err = optim.NewAdam(c, groups...)
	case "adamw":
		c := optim.DefaultAdamWConfig(lr)
		if cfg.WeightDecay != 0 {
			c.WeightDecay = cfg.WeightDecay
		}
		opt, err = optim.NewAdamW(c, groups...)
	case "sgd":
		opt, err = optim.NewSGD(optim.SGDConfig{LR: lr, Momentum: 0.9, Nesterov: true, WeightDecay: cfg.WeightDecay}, groups...)
	case "rmsprop":
		c := optim.DefaultRMSpropConfig(lr)
		c.WeightDecay = cfg.WeightDecay
		opt, err = optim.NewRMSprop(c, groups...)
	default:
		return nil, fmt.Errorf("train: optimizer %q: want adam, adamw, sgd or rmsprop", cfg.Optimizer)
	}
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return opt, nil
}

// run is the state of one Fit call.
type run struct {
	cfg            Config
	net            *Network
	trainDS, valDS data.Dataset
	loss           *nn.SoftmaxCrossEntropy
	opt            optim.Optimizer
	hist           *History

	phase, epoch  int // position: the next epoch to run is (phase, epoch)
	badEpochs     int
	bestPhaseLoss float64
	step          int64
}

func (r *run) runPhase(ctx context.Context) error {
	p := r.cfg.Phases[r.phase]
	if err := p.Freeze.Apply(r.net); err != nil {
		return err
	}
	if r.epoch == 0 {
		r.bestPhaseLoss = math.Inf(1)
	}
	f, err := newFeeder(r.net, r.cfg, r.trainDS, r.valDS)
	if err != nil {
		return err
	}
	batches := f.numBatches()
	sched := optim.WarmupCosine{BaseLR: p.LR, MinLR: p.LR / 100, WarmupSteps: int(p.WarmupFraction * float64(batches*p.Epochs)),
		WarmupStart: 0.1, TotalSteps: batches * p.Epochs}
	for ; r.epoch < p.Epochs; r.epoch++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %v", ErrInterrupted, err)
		}
		start := time.Now()
		reseedDropout(r.net.Graph, data.DeriveSeed(r.cfg.Seed, uint64(r.phase), uint64(r.epoch)))
		trainLoss, trainAcc, err := r.trainEpoch(ctx, f, sched, batches)
		if err != nil {
			return err
		}
		ev, err := f.evaluate(ctx, r.loss)
		if err != nil {
			return err
		}
		log := EpochLog{Phase: p.Name, Epoch: r.epoch + 1, Step: r.step, LR: r.opt.LR(), TrainLoss: trainLoss, TrainAcc: trainAcc,
			ValLoss: ev.Loss, ValAcc: ev.Accuracy(), Seconds: time.Since(start).Seconds(), Cached: f.cached()}
		r.hist.Epochs = append(r.hist.Epochs, log)
		improved := log.ValAcc > r.hist.Best.ValAcc
		if improved {
			r.hist.Best = log
		}
		if log.ValLoss < r.bestPhaseLoss-1e-6 {
			r.bestPhaseLoss, r.badEpochs = log.ValLoss, 0
		} else {
			r.badEpochs++
		}
		r.epoch++
		if err := r.checkpoint(improved); err != nil {
			return err
		}
		r.epoch--
		if r.cfg.OnEpoch != nil {
			r.cfg.OnEpoch(log)
		}
		if r.cfg.Patience > 0 && r.badEpochs >= r.cfg.Patience {
			r.epoch++
			break
		}
	}
	return nil
}

// reseedDropout gives every dropout layer a seed derived from base, so an
// epoch's randomness does not depend on whether the run was resumed.
func reseedDropout(g *nn.Graph, base uint64) {
	for i, name := range g.Nodes() {
		if l, _ := g.Layer(name); l != nil {
			if d, ok := l.(*nn.Dropout); ok {
				d.Reseed(data.DeriveSeed(base, uint64(i)))
			}
		}
	}
}

func (r *run) trainEpoch(ctx context.Context, f *feeder, sched optim.Schedule, batches int) (loss, acc float64, err error) {
	p := r.cfg.Phases[r.phase]
	start := time.Now()
	var sumLoss float64
	var right, seen int
	b := 0
	phaseStep := r.epoch * batches
	err = f.trainBatches(ctx, r.epoch, func(x *tensor.Tensor, labels []int) error {
		if err := r.opt.SetLR(sched.LR(phaseStep + b)); err != nil {
			return err
		}
		outs, err := f.train.Forward([]*tensor.Tensor{x}, true)
		if err != nil {
			return err
		}
		logits := outs[0]
		lt := labelTensor(labels)
		l, err := r.loss.Forward(logits, lt)
		if err != nil {
			return err
		}
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return fmt.Errorf("train: loss is %v at %s epoch %d batch %d (lower the learning rate, or set CheckFinite to find the layer)", l, p.Name, r.epoch+1, b+1)
		}
		// Count before Backward: the graph may recycle its output's memory
		// once the backward pass no longer needs it.
		classes := logits.Shape[1]
		for i, y := range labels {
			if Argmax(logits.Data[i*classes:(i+1)*classes]) == y {
				right++
			}
		}
		g, err := r.loss.Backward()
		if err != nil {
			return err
		}
		if _, err := f.train.Backward([]*tensor.Tensor{g}); err != nil {
			return err
		}
		if err := r.opt.Step(); err != nil {
			return err
		}
		r.opt.ZeroGrad()
		r.step++
		seen += len(labels)
		sumLoss += l * float64(len(labels))
		b++
		if r.cfg.OnBatch != nil {
			r.cfg.OnBatch(BatchProgress{Phase: p.Name, Epoch: r.epoch + 1, Epochs: p.Epochs, Batch: b, Batches: batches,
				Loss: sumLoss / float64(seen), Samples: seen, Elapsed: time.Since(start)})
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	if seen == 0 {
		return 0, 0, errors.New("train: an epoch saw no samples")
	}
	return sumLoss / float64(seen), float64(right) / float64(seen), nil
}

// labelTensor stores integer labels as float32, as the loss expects.
func labelTensor(labels []int) *tensor.Tensor {
	t := tensor.New(len(labels))
	for i, y := range labels {
		t.Data[i] = float32(y)
	}
	return t
}
