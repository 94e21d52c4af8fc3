package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// LRFindPNG is the file name of the learning-rate finder's plot.
const LRFindPNG = "lr_find.png"

// LRFindConfig configures FindLR. Zero values take the defaults noted.
type LRFindConfig struct {
	// MinLR and MaxLR bound the sweep (defaults 1e-7 and 10).
	MinLR, MaxLR float64
	// Steps is the number of training steps of the sweep (default 100);
	// the learning rate grows by the same factor at each.
	Steps int
	// Smoothing is the weight of the running average of the loss that
	// decides when to stop (default 0.9, bias-corrected as in Adam).
	Smoothing float64
	// Diverge stops the sweep once that running average exceeds this many
	// times its minimum (default 4).
	Diverge float64
	// BatchSize, Optimizer, WeightDecay, BaseLRScale, LabelSmoothing,
	// Seed, Workers, Augment and Cache mean what they mean in Config.
	BatchSize      int
	Optimizer      string
	WeightDecay    float64
	BaseLRScale    float64
	LabelSmoothing float64
	Seed           uint64
	Workers        int
	Augment        *data.Augment
	Cache          *FeatureCache
}

// LRFindResult is the outcome of a learning-rate sweep.
type LRFindResult struct {
	// LRs, Losses and Smoothed hold, for every step taken, the learning
	// rate, the batch loss and the loss smoothed by a centred moving
	// average (about a twentieth of the sweep wide). A running average
	// would lag behind the rate by its window; a centred one does not,
	// so the suggestions are read from it.
	LRs, Losses, Smoothed []float64
	// Steepest is the learning rate where the smoothed loss falls fastest
	// (per log of the rate): the suggestion.
	Steepest float64
	// MinLoss is the learning rate of the lowest smoothed loss; a tenth of
	// it is the other classic choice.
	MinLoss float64
	// Diverged is true when the sweep stopped early because the loss blew
	// up.
	Diverged bool
}

// MinLossOver10 returns a tenth of the learning rate at the minimum loss.
func (r *LRFindResult) MinLossOver10() float64 { return r.MinLoss / 10 }

func (c *LRFindConfig) defaults() error {
	if c.MinLR == 0 {
		c.MinLR = 1e-7
	}
	if c.MaxLR == 0 {
		c.MaxLR = 10
	}
	if c.Steps == 0 {
		c.Steps = 100
	}
	if c.Smoothing == 0 {
		c.Smoothing = 0.9
	}
	if c.Diverge == 0 {
		c.Diverge = 4
	}
	if c.BatchSize == 0 {
		c.BatchSize = 32
	}
	if !(c.MinLR > 0) || !(c.MaxLR > c.MinLR) || math.IsInf(c.MaxLR, 0) {
		return fmt.Errorf("train: lr finder: range %g to %g: need 0 < min < max", c.MinLR, c.MaxLR)
	}
	if c.Steps < 10 {
		return fmt.Errorf("train: lr finder: %d steps: need at least 10", c.Steps)
	}
	if c.Smoothing < 0 || c.Smoothing >= 1 {
		return fmt.Errorf("train: lr finder: smoothing %g: need [0, 1)", c.Smoothing)
	}
	if !(c.Diverge > 1) {
		return fmt.Errorf("train: lr finder: divergence factor %g: need > 1", c.Diverge)
	}
	if c.BatchSize < 1 {
		return fmt.Errorf("train: lr finder: batch size %d must be positive", c.BatchSize)
	}
	return nil
}

// errSweepDone ends the batch loop of a sweep.
var errSweepDone = errors.New("sweep done")

// FindLR runs the learning-rate range test (Smith 2015, as fastai does):
// it trains net's currently trainable parameters for up to cfg.Steps
// batches of ds while the learning rate grows exponentially from MinLR to
// MaxLR, records the smoothed loss, and stops once the loss diverges. It
// suggests the rate of steepest descent, and reports the rate of the
// lowest loss. Afterwards every parameter, gradient and BatchNorm statistic
// of net is restored bit for bit; the sweep's optimizer is discarded.
// Freeze the base first (Freeze{Base: true}.Apply) to sweep for the head.
func FindLR(ctx context.Context, net *Network, ds data.Dataset, cfg LRFindConfig) (*LRFindResult, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if ds == nil || ds.Len() == 0 {
		return nil, errors.New("train: lr finder: the dataset is empty")
	}
	if n := len(ds.ClassNames()); n != len(net.Classes) {
		return nil, fmt.Errorf("train: lr finder: the dataset has %d classes but the head has %d outputs", n, len(net.Classes))
	}
	if len(net.Graph.TrainableParams()) == 0 {
		return nil, errors.New("train: lr finder: the network has no trainable parameters")
	}
	saved := saveNetwork(net.Graph)
	defer saved.restore()

	tc := Config{Phases: []Phase{{Name: "lr-find", Epochs: 1, LR: cfg.MinLR}}, BatchSize: cfg.BatchSize, Seed: cfg.Seed,
		Optimizer: cfg.Optimizer, WeightDecay: cfg.WeightDecay, BaseLRScale: cfg.BaseLRScale, Workers: cfg.Workers,
		Augment: cfg.Augment, Cache: cfg.Cache, Views: 1}
	if err := tc.defaults(); err != nil {
		return nil, err
	}
	opt, err := newOptimizer(tc, net)
	if err != nil {
		return nil, err
	}
	loss, err := nn.NewSoftmaxCrossEntropy(nn.CrossEntropyConfig{LabelSmoothing: cfg.LabelSmoothing})
	if err != nil {
		return nil, fmt.Errorf("train: lr finder: %w", err)
	}
	f, err := newFeeder(net, tc, ds, ds)
	if err != nil {
		return nil, err
	}
	res := &LRFindResult{}
	growth := math.Pow(cfg.MaxLR/cfg.MinLR, 1/float64(cfg.Steps-1))
	avg, best := 0.0, math.Inf(1)
	step := 0
	for epoch := 0; step < cfg.Steps; epoch++ {
		err := f.trainBatches(ctx, epoch, func(x *tensor.Tensor, labels []int) error {
			lr := cfg.MinLR * math.Pow(growth, float64(step))
			if err := opt.SetLR(lr); err != nil {
				return err
			}
			outs, err := f.train.Forward([]*tensor.Tensor{x}, true)
			if err != nil {
				return err
			}
			l, err := loss.Forward(outs[0], labelTensor(labels))
			if err != nil {
				return err
			}
			g, err := loss.Backward()
			if err != nil {
				return err
			}
			// Backward also releases what the forward pass kept.
			if _, err := f.train.Backward([]*tensor.Tensor{g}); err != nil {
				return err
			}
			if !finite(l) {
				res.Diverged = true
				return errSweepDone
			}
			if err := opt.Step(); err != nil {
				return err
			}
			opt.ZeroGrad()
			avg = cfg.Smoothing*avg + (1-cfg.Smoothing)*l
			smooth := avg / (1 - math.Pow(cfg.Smoothing, float64(step+1)))
			res.LRs = append(res.LRs, lr)
			res.Losses = append(res.Losses, l)
			best = math.Min(best, smooth)
			step++
			if step > 1 && smooth > cfg.Diverge*best {
				res.Diverged = true
				return errSweepDone
			}
			if step >= cfg.Steps {
				return errSweepDone
			}
			return nil
		})
		if errors.Is(err, errSweepDone) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("train: lr finder at step %d: %w", step+1, err)
		}
	}
	if cfg.Cache != nil {
		if err := cfg.Cache.Flush(); err != nil {
			return nil, err
		}
	}
	if len(res.LRs) < 3 {
		return nil, fmt.Errorf("train: lr finder: the loss diverged after %d steps, below %g: lower the minimum rate", len(res.LRs), cfg.MinLR)
	}
	res.Smoothed = centredAverage(res.Losses, max(2, cfg.Steps/40))
	res.suggest()
	return res, nil
}

// centredAverage returns the mean of v over a window of h values either
// side of each (fewer at the ends).
func centredAverage(v []float64, h int) []float64 {
	out := make([]float64, len(v))
	for i := range v {
		lo, hi := max(0, i-h), min(len(v)-1, i+h)
		s := 0.0
		for _, x := range v[lo : hi+1] {
			s += x
		}
		out[i] = s / float64(hi-lo+1)
	}
	return out
}

// suggest sets MinLoss and Steepest from the smoothed curve: the steepest
// descent is the most negative slope of the smoothed loss against the log
// of the rate, looked for before the minimum.
func (r *LRFindResult) suggest() {
	n := len(r.Smoothed)
	iMin := 0
	for i, v := range r.Smoothed {
		if v < r.Smoothed[iMin] {
			iMin = i
		}
	}
	r.MinLoss = r.LRs[iMin]
	best, iBest := math.Inf(1), -1
	for i := 1; i <= iMin && i < n-1; i++ {
		// Central difference per decade, as numpy.gradient does.
		slope := (r.Smoothed[i+1] - r.Smoothed[i-1]) / (math.Log10(r.LRs[i+1]) - math.Log10(r.LRs[i-1]))
		if slope < best {
			best, iBest = slope, i
		}
	}
	if iBest < 0 {
		r.Steepest = r.MinLoss / 10
		return
	}
	r.Steepest = r.LRs[iBest]
}

// Plot draws the sweep: the smoothed loss against the learning rate (log
// scale), the raw losses faintly behind it, the suggestions marked.
func (r *LRFindResult) Plot(w, h int) ([]byte, error) {
	faint := colSeries[0]
	faint.A = 255
	faint.R, faint.G, faint.B = 174, 199, 232
	ch := &lineChart{title: "Learning-rate finder", xLabel: "learning rate", yLabel: "loss", logX: true,
		series: []series{
			{name: "batch loss", x: r.LRs, y: r.Losses, col: faint, width: 2},
			{name: "smoothed", x: r.LRs, y: r.Smoothed, col: colSeries[0]},
		},
		marks: []vmark{
			{x: r.Steepest, label: fmt.Sprintf("steepest %.2g", r.Steepest), col: colSeries[3]},
			{x: r.MinLossOver10(), label: fmt.Sprintf("min/10 %.2g", r.MinLossOver10()), col: colSeries[2]},
		}}
	// The raw losses of a diverging sweep end far above the rest; show
	// the interesting range, up to twice the first smoothed loss.
	ch.yMax = 2 * r.Smoothed[0]
	return ch.render(w, h).png()
}

// WritePlot writes the plot into dir as lr_find.png, atomically.
func (r *LRFindResult) WritePlot(dir string) (string, error) {
	b, err := r.Plot(900, 500)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, LRFindPNG)
	if err := writeFileAtomic(path, b); err != nil {
		return "", fmt.Errorf("train: lr finder plot: %w", err)
	}
	return path, nil
}

// savedNetwork is a bit-exact copy of a graph's parameters, gradients and
// state.
type savedNetwork struct {
	params    []*nn.Param
	values    [][]float32
	grads     [][]float32
	hadGrad   []bool
	trainable []bool
}

func saveNetwork(g *nn.Graph) *savedNetwork {
	s := &savedNetwork{params: append(g.Params(), g.State()...)}
	for _, p := range s.params {
		s.values = append(s.values, append([]float32(nil), p.Value.Data...))
		s.trainable = append(s.trainable, p.Trainable)
		if p.Grad != nil {
			s.grads = append(s.grads, append([]float32(nil), p.Grad.Data...))
		} else {
			s.grads = append(s.grads, nil)
		}
		s.hadGrad = append(s.hadGrad, p.Grad != nil)
	}
	return s
}

func (s *savedNetwork) restore() {
	for i, p := range s.params {
		copy(p.Value.Data, s.values[i])
		p.Trainable = s.trainable[i]
		switch {
		case s.hadGrad[i] && p.Grad != nil:
			copy(p.Grad.Data, s.grads[i])
		case s.hadGrad[i]:
			p.Grad = tensor.New(p.Value.Shape...)
			copy(p.Grad.Data, s.grads[i])
		default:
			p.Grad = nil
		}
	}
}
