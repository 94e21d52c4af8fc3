package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/graft-ml/graft/tensor"
)

// LoaderOptions configures a Loader. Zero values take the defaults noted.
type LoaderOptions struct {
	BatchSize int     // samples per batch (required)
	Workers   int     // goroutines decoding and transforming (default GOMAXPROCS)
	Prefetch  int     // most batches queued ahead of the consumer (default 2×Workers); one more may be in the making
	Shuffle   bool    // a fresh permutation each epoch (ignored when Sampler is set)
	DropLast  bool    // drop a final batch smaller than BatchSize
	Seed      uint64  // drives shuffling, sampling and augmentation
	Sampler   Sampler // chooses each epoch's indices; nil: sequential or shuffled
	Transform Transform
}

// Batch is one batch of network input.
type Batch struct {
	Images  *tensor.Tensor // [B, H, W, 3] float32
	Labels  []int          // B labels
	Indices []int          // B dataset indices the samples came from
	buf     *[]float32
	pool    *sync.Pool
}

// Release hands the batch's image memory back to its loader for reuse by a
// later batch. Optional; after it, b.Images must not be used (it is set to
// nil).
func (b *Batch) Release() {
	if b.pool != nil && b.buf != nil {
		b.pool.Put(b.buf)
	}
	b.buf, b.pool, b.Images = nil, nil, nil
}

// Loader produces batches from a dataset with a pool of workers. A batch's
// content depends only on the seed, the epoch and the dataset, never on the
// number of workers or their timing.
type Loader struct {
	ds   Dataset
	opts LoaderOptions
	pool sync.Pool // *[]float32 of BatchSize images
}

// NewLoader checks opts and returns a loader over ds.
func NewLoader(ds Dataset, opts LoaderOptions) (*Loader, error) {
	if ds.Len() == 0 {
		return nil, errors.New("data: loader: empty dataset")
	}
	if opts.BatchSize <= 0 {
		return nil, fmt.Errorf("data: loader: batch size %d must be positive", opts.BatchSize)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Prefetch <= 0 {
		opts.Prefetch = 2 * opts.Workers
	}
	if err := opts.Transform.Validate(); err != nil {
		return nil, fmt.Errorf("data: loader: %w", err)
	}
	if opts.Sampler == nil {
		if opts.Shuffle {
			opts.Sampler = ShuffleSampler{N: ds.Len()}
		} else {
			opts.Sampler = SequentialSampler{N: ds.Len()}
		}
	}
	return &Loader{ds: ds, opts: opts}, nil
}

// order returns the epoch's indices cut into batches.
func (l *Loader) order(epoch int) [][]int {
	idx := l.opts.Sampler.Indices(epoch, l.opts.Seed)
	b := l.opts.BatchSize
	var out [][]int
	for s := 0; s < len(idx); s += b {
		e := min(s+b, len(idx))
		if e-s < b && l.opts.DropLast {
			break
		}
		out = append(out, idx[s:e])
	}
	return out
}

// NumBatches returns how many batches the epoch yields.
func (l *Loader) NumBatches(epoch int) int { return len(l.order(epoch)) }

type batchResult struct {
	batch *Batch
	err   error
}

type batchJob struct {
	epoch   int
	start   int // position of the batch's first sample in the epoch
	indices []int
	out     chan batchResult
}

// Epoch starts loading epoch number epoch and returns its iterator. The
// iterator must be closed (Close is safe to call more than once).
// Cancelling ctx stops the workers; Next then reports ctx's error.
func (l *Loader) Epoch(ctx context.Context, epoch int) *EpochIterator {
	ctx, cancel := context.WithCancel(ctx)
	it := &EpochIterator{ctx: ctx, cancel: cancel, pending: make(chan chan batchResult, l.opts.Prefetch)}
	batches := l.order(epoch)
	jobs := make(chan batchJob)
	it.wg.Add(1 + l.opts.Workers)
	go func() { // dispatcher: hands out batches in order, at most Prefetch ahead
		defer it.wg.Done()
		defer close(jobs)
		defer close(it.pending)
		for bi, idx := range batches {
			out := make(chan batchResult, 1)
			select {
			case it.pending <- out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- batchJob{epoch, bi * l.opts.BatchSize, idx, out}:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range l.opts.Workers {
		go func() {
			defer it.wg.Done()
			var s Scratch
			var img RGB
			for job := range jobs {
				b, err := l.load(ctx, job, &s, &img)
				job.out <- batchResult{b, err}
			}
		}()
	}
	return it
}

// load builds one batch.
func (l *Loader) load(ctx context.Context, job batchJob, s *Scratch, img *RGB) (*Batch, error) {
	p := l.opts.Transform.Pre
	n := p.Numel()
	buf, _ := l.pool.Get().(*[]float32)
	if buf == nil || len(*buf) != l.opts.BatchSize*n {
		fresh := make([]float32, l.opts.BatchSize*n)
		buf = &fresh
	}
	images, err := tensor.FromData((*buf)[:len(job.indices)*n], len(job.indices), p.Height, p.Width, 3)
	if err != nil {
		return nil, fmt.Errorf("data: loader: %w", err)
	}
	b := &Batch{
		Images:  images,
		Labels:  make([]int, len(job.indices)),
		Indices: append([]int(nil), job.indices...),
		buf:     buf,
		pool:    &l.pool,
	}
	for k, i := range job.indices {
		if err := ctx.Err(); err != nil {
			b.Release()
			return nil, err
		}
		if err := l.ds.Load(i, img); err != nil {
			b.Release()
			return nil, fmt.Errorf("data: loader: sample %d: %w", i, err)
		}
		seed := DeriveSeed(l.opts.Seed, uint64(job.epoch), uint64(job.start+k))
		if err := l.opts.Transform.Apply(s, img, seed, b.Images.Data[k*n:(k+1)*n]); err != nil {
			b.Release()
			return nil, fmt.Errorf("data: loader: sample %d: %w", i, err)
		}
		b.Labels[k] = l.ds.Label(i)
	}
	return b, nil
}

// EpochIterator yields one epoch's batches in order.
type EpochIterator struct {
	ctx     context.Context
	cancel  context.CancelFunc
	pending chan chan batchResult
	wg      sync.WaitGroup
	err     error
}

// Next returns the next batch, io.EOF after the last one, or the error
// that stopped the epoch (a sample that failed to load, or ctx's error).
// After an error every later call returns it again.
func (it *EpochIterator) Next() (*Batch, error) {
	if it.err != nil {
		return nil, it.err
	}
	var out chan batchResult
	var ok bool
	select {
	case out, ok = <-it.pending:
	case <-it.ctx.Done():
		it.fail(it.ctx.Err())
		return nil, it.err
	}
	if !ok {
		if err := it.ctx.Err(); err != nil {
			it.fail(err)
		} else {
			it.err = io.EOF
		}
		return nil, it.err
	}
	select {
	case r := <-out:
		if r.err != nil {
			it.fail(r.err)
			return nil, it.err
		}
		return r.batch, nil
	case <-it.ctx.Done():
		it.fail(it.ctx.Err())
		return nil, it.err
	}
}

func (it *EpochIterator) fail(err error) {
	it.err = err
	it.cancel()
}

// Close stops the epoch's workers and waits for them to exit.
func (it *EpochIterator) Close() {
	it.cancel()
	it.wg.Wait()
}
