package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// feeder turns datasets into batches for one phase. With a feature cache
// and a frozen prefix, it runs the prefix once per image (and augmented
// view) and hands the trainable suffix the cached features; otherwise it
// hands the whole graph decoded images.
type feeder struct {
	cfg            Config
	net            *Network
	trainDS, valDS data.Dataset
	// train is what a step runs: the suffix with a cache, else the graph.
	train  *nn.Graph
	prefix *nn.Graph
	shape  []int // per-sample feature shape at the cut
	memo   map[memoKey][]float32
}

type memoKey struct{ split, index, view int }

// fixedOrder is a sampler returning one precomputed order.
type fixedOrder []int

func (f fixedOrder) Indices(int, uint64) []int { return f }

func newFeeder(net *Network, cfg Config, trainDS, valDS data.Dataset) (*feeder, error) {
	f := &feeder{cfg: cfg, net: net, trainDS: trainDS, valDS: valDS, train: net.Graph}
	if cfg.Cache == nil {
		return f, nil
	}
	cut := net.frozenCut()
	if cut == "" {
		return f, nil
	}
	prefix, suffix, err := net.split(cut)
	if err != nil {
		return nil, err
	}
	key, err := prefixKey(prefix)
	if err != nil {
		return nil, fmt.Errorf("train: feature cache: %w", err)
	}
	// One probe image gives the feature shape.
	pre := net.Preprocess
	probe := tensor.New(1, pre.Height, pre.Width, 3)
	outs, err := prefix.Forward([]*tensor.Tensor{probe}, false)
	if err != nil {
		return nil, fmt.Errorf("train: feature cache: %w", err)
	}
	f.shape = append([]int(nil), outs[0].Shape[1:]...)
	if err := cfg.Cache.use(key+fmt.Sprintf("-%s", cut), tensor.Numel(f.shape)); err != nil && cfg.OnBatch == nil {
		// An unreadable cache file is rebuilt; nothing else to do.
		_ = err
	}
	f.prefix, f.train, f.memo = prefix, suffix, map[memoKey][]float32{}
	return f, nil
}

func (f *feeder) cached() bool { return f.prefix != nil }

func (f *feeder) sampler() (data.Sampler, error) {
	if f.cfg.Balance == "sampler" {
		s, err := data.NewBalancedSampler(f.trainDS, f.trainDS.Len())
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		return s, nil
	}
	return data.ShuffleSampler{N: f.trainDS.Len()}, nil
}

func (f *feeder) numBatches() int {
	n := f.trainDS.Len()
	return (n + f.cfg.BatchSize - 1) / f.cfg.BatchSize
}

func (f *feeder) loader(ds data.Dataset, order []int, aug *data.Augment) (*data.Loader, error) {
	l, err := data.NewLoader(ds, data.LoaderOptions{BatchSize: f.cfg.BatchSize, Workers: f.cfg.Workers, Seed: f.cfg.Seed,
		Sampler: fixedOrder(order), Transform: data.Transform{Pre: f.net.Preprocess, Aug: aug}})
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return l, nil
}

// iterate runs fn over the loader's batches of one epoch.
func iterate(ctx context.Context, l *data.Loader, epoch int, fn func(b *data.Batch) error) error {
	it := l.Epoch(ctx, epoch)
	defer it.Close()
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w: %v", ErrInterrupted, ctx.Err())
			}
			return fmt.Errorf("train: loading data: %w", err)
		}
		err = fn(b)
		b.Release()
		if err != nil {
			return err
		}
	}
}

// trainBatches calls fn with each training batch of the epoch, in the
// epoch's shuffled (or balanced) order.
func (f *feeder) trainBatches(ctx context.Context, epoch int, fn func(x *tensor.Tensor, labels []int) error) error {
	s, err := f.sampler()
	if err != nil {
		return err
	}
	order := s.Indices(epoch, f.cfg.Seed)
	if f.prefix == nil {
		l, err := f.loader(f.trainDS, order, f.cfg.Augment)
		if err != nil {
			return err
		}
		return iterate(ctx, l, epoch, func(b *data.Batch) error { return fn(b.Images, b.Labels) })
	}
	view := 0
	if f.cfg.Augment != nil {
		view = epoch % f.cfg.Views
	}
	if err := f.ensure(ctx, 0, f.trainDS, view, f.cfg.Augment); err != nil {
		return err
	}
	return f.fromMemo(0, view, f.trainDS, order, fn)
}

// ensure computes (or finds in the cache) the features of every sample of
// ds for one view.
func (f *feeder) ensure(ctx context.Context, split int, ds data.Dataset, view int, aug *data.Augment) error {
	var missing []int
	for i := 0; i < ds.Len(); i++ {
		if _, ok := f.memo[memoKey{split, i, view}]; !ok {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	l, err := f.loader(ds, missing, aug)
	if err != nil {
		return err
	}
	dim := tensor.Numel(f.shape)
	// The loader's epoch number drives augmentation: view v always gets the
	// same random transforms, so its cached features stay valid.
	return iterate(ctx, l, view, func(b *data.Batch) error {
		n := len(b.Labels)
		per := b.Images.Size() / n
		var todo []int
		for j := range n {
			k := inputKey(b.Images.Data[j*per : (j+1)*per])
			if v, ok := f.cfg.Cache.get(k); ok {
				f.memo[memoKey{split, b.Indices[j], view}] = v
			} else {
				todo = append(todo, j)
			}
		}
		if len(todo) == 0 {
			return nil
		}
		x := tensor.New(append([]int{len(todo)}, b.Images.Shape[1:]...)...)
		for t, j := range todo {
			copy(x.Data[t*per:(t+1)*per], b.Images.Data[j*per:(j+1)*per])
		}
		outs, err := f.prefix.Forward([]*tensor.Tensor{x}, false)
		if err != nil {
			return err
		}
		for t, j := range todo {
			v := append([]float32(nil), outs[0].Data[t*dim:(t+1)*dim]...)
			f.cfg.Cache.put(inputKey(x.Data[t*per:(t+1)*per]), v)
			f.memo[memoKey{split, b.Indices[j], view}] = v
		}
		return nil
	})
}

// fromMemo builds batches of cached features in the given order.
func (f *feeder) fromMemo(split, view int, ds data.Dataset, order []int, fn func(x *tensor.Tensor, labels []int) error) error {
	dim := tensor.Numel(f.shape)
	for s := 0; s < len(order); s += f.cfg.BatchSize {
		idx := order[s:min(s+f.cfg.BatchSize, len(order))]
		x := tensor.New(append([]int{len(idx)}, f.shape...)...)
		labels := make([]int, len(idx))
		for j, i := range idx {
			copy(x.Data[j*dim:(j+1)*dim], f.memo[memoKey{split, i, view}])
			labels[j] = ds.Label(i)
		}
		if err := fn(x, labels); err != nil {
			return err
		}
	}
	return nil
}

// evaluate runs the validation set through the network.
func (f *feeder) evaluate(ctx context.Context, loss nn.Loss) (*Evaluation, error) {
	ev := newEvaluation(f.net.Classes)
	order := make([]int, f.valDS.Len())
	for i := range order {
		order[i] = i
	}
	run := func(x *tensor.Tensor, labels []int, indices []int) error {
		outs, err := f.train.Forward([]*tensor.Tensor{x}, false)
		if err != nil {
			return err
		}
		return ev.add(outs[0], labels, indices, loss)
	}
	if f.prefix == nil {
		l, err := f.loader(f.valDS, order, nil)
		if err != nil {
			return nil, err
		}
		if err := iterate(ctx, l, 0, func(b *data.Batch) error { return run(b.Images, b.Labels, b.Indices) }); err != nil {
			return nil, err
		}
		return ev, nil
	}
	if err := f.ensure(ctx, 1, f.valDS, 0, nil); err != nil {
		return nil, err
	}
	pos := 0
	err := f.fromMemo(1, 0, f.valDS, order, func(x *tensor.Tensor, labels []int) error {
		idx := order[pos : pos+len(labels)]
		pos += len(labels)
		return run(x, labels, idx)
	})
	return ev, err
}

// Evaluation is a network's performance on a dataset.
type Evaluation struct {
	// Loss is the mean cross-entropy.
	Loss      float64
	Confusion *Confusion
	// Top5 is the fraction of samples whose label is among the five
	// highest scores (1 with five classes or fewer).
	Top5    float64
	Samples []SampleResult
	sumLoss float64
	top5    int
}

// SampleResult is one sample's prediction.
type SampleResult struct {
	Index, Label, Pred int
	// PLabel and PPred are the softmax probabilities of the true and the
	// predicted class.
	PLabel, PPred float64
}

func newEvaluation(classes []string) *Evaluation {
	return &Evaluation{Confusion: NewConfusion(classes)}
}

// Accuracy returns the fraction of correct predictions.
func (e *Evaluation) Accuracy() float64 { return e.Confusion.Accuracy() }

func (e *Evaluation) add(logits *tensor.Tensor, labels, indices []int, loss nn.Loss) error {
	if logits.Rank() != 2 || logits.Shape[0] != len(labels) {
		return fmt.Errorf("train: network output %v for %d samples; want [N classes] logits", logits.Shape, len(labels))
	}
	c := logits.Shape[1]
	if c != len(e.Confusion.Classes) {
		return fmt.Errorf("train: network has %d outputs for %d classes", c, len(e.Confusion.Classes))
	}
	l, err := loss.Forward(logits, labelTensor(labels))
	if err != nil {
		return err
	}
	e.sumLoss += l * float64(len(labels))
	for i, y := range labels {
		row := logits.Data[i*c : (i+1)*c]
		p := Softmax(row)
		pred := Argmax(row)
		e.Confusion.Add(y, pred)
		if InTopK(row, y, 5) {
			e.top5++
		}
		e.Samples = append(e.Samples, SampleResult{Index: indices[i], Label: y, Pred: pred, PLabel: p[y], PPred: p[pred]})
	}
	n := len(e.Samples)
	e.Loss = e.sumLoss / float64(n)
	e.Top5 = float64(e.top5) / float64(n)
	return nil
}

// Worst returns the n samples with the lowest probability on their true class.
func (e *Evaluation) Worst(n int) []SampleResult {
	s := append([]SampleResult(nil), e.Samples...)
	sort.SliceStable(s, func(a, b int) bool { return s[a].PLabel < s[b].PLabel })
	return s[:min(n, len(s))]
}

// Evaluate runs ds through net (no feature cache) and returns its metrics.
func Evaluate(ctx context.Context, net *Network, ds data.Dataset, batchSize, workers int) (*Evaluation, error) {
	if ds == nil || ds.Len() == 0 {
		return nil, fmt.Errorf("train: evaluate: empty dataset")
	}
	loss, _ := nn.NewSoftmaxCrossEntropy(nn.CrossEntropyConfig{})
	f := &feeder{cfg: Config{BatchSize: max(batchSize, 1), Workers: workers}, net: net, valDS: ds, train: net.Graph}
	ev, err := f.evaluate(ctx, loss)
	if err != nil {
		return nil, err
	}
	if math.IsNaN(ev.Loss) {
		return ev, fmt.Errorf("train: evaluate: the loss is NaN")
	}
	return ev, nil
}
