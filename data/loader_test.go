package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// synthDataset makes a 12×10 image per sample whose pixels encode the
// index, and counts loads; failAt, when non-negative, fails that sample.
type synthDataset struct {
	n      int
	loads  atomic.Int64
	failAt int
	block  chan struct{} // when non-nil, Load waits on it
}

func (d *synthDataset) Len() int             { return d.n }
func (d *synthDataset) Label(i int) int      { return i % 3 }
func (d *synthDataset) ClassNames() []string { return []string{"a", "b", "c"} }
func (d *synthDataset) Load(i int, dst *RGB) error {
	d.loads.Add(1)
	if d.block != nil {
		<-d.block
	}
	if i == d.failAt {
		return fmt.Errorf("sample %d is corrupt", i)
	}
	dst.Reset(12, 10)
	for p := range dst.Pix {
		dst.Pix[p] = uint8(i*17 + p)
	}
	return nil
}

func collect(t *testing.T, l *Loader, epoch int) []*Batch {
	t.Helper()
	it := l.Epoch(context.Background(), epoch)
	defer it.Close()
	var out []*Batch
	for {
		b, err := it.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

func TestLoaderSameBatchesAnyWorkerCount(t *testing.T) {
	ds := &synthDataset{n: 23, failAt: -1}
	tr := Transform{Pre: TorchvisionPreprocess(8), Aug: &Augment{Crop: &RandomResizedCrop{}, HFlip: 0.5, Jitter: ColorJitter{Brightness: 0.3, Hue: 0.05}}}
	var ref []*Batch
	for _, workers := range []int{1, 4} {
		l, err := NewLoader(ds, LoaderOptions{BatchSize: 5, Workers: workers, Prefetch: 2, Shuffle: true, Seed: 9, Transform: tr})
		if err != nil {
			t.Fatal(err)
		}
		got := collect(t, l, 3)
		if len(got) != 5 || len(got[4].Labels) != 3 {
			t.Fatalf("%d workers: %d batches, last of %d; want 5 and 3", workers, len(got), len(got[len(got)-1].Labels))
		}
		if ref == nil {
			ref = got
			continue
		}
		for b := range got {
			if !slices.Equal(got[b].Indices, ref[b].Indices) || !slices.Equal(got[b].Labels, ref[b].Labels) {
				t.Fatalf("batch %d: indices %v vs %v", b, got[b].Indices, ref[b].Indices)
			}
			if !slices.Equal(got[b].Images.Data, ref[b].Images.Data) {
				t.Fatalf("batch %d: images differ between 1 and %d workers", b, workers)
			}
		}
	}
	// Every sample appears exactly once, labels match, shape is NHWC.
	seen := make([]int, ds.n)
	for _, b := range ref {
		if s := b.Images.Shape; len(s) != 4 || s[1] != 8 || s[2] != 8 || s[3] != 3 || s[0] != len(b.Labels) {
			t.Fatalf("batch shape %v", s)
		}
		for k, i := range b.Indices {
			seen[i]++
			if b.Labels[k] != i%3 {
				t.Fatalf("sample %d label %d", i, b.Labels[k])
			}
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("sample %d seen %d times", i, n)
		}
	}
	if slices.Equal(ref[0].Indices, SequentialSampler{23}.Indices(0, 0)[:5]) {
		t.Error("shuffled epoch came out in order")
	}
}

func TestLoaderEpochsDifferAndDropLast(t *testing.T) {
	ds := &synthDataset{n: 10, failAt: -1}
	pre := Preprocess{Height: 10, Width: 12, Resize: ResizeSquash, Scale: ScaleUnit}
	l, err := NewLoader(ds, LoaderOptions{BatchSize: 4, Workers: 2, Shuffle: true, DropLast: true, Seed: 1, Transform: Transform{Pre: pre}})
	if err != nil {
		t.Fatal(err)
	}
	e0, e1 := collect(t, l, 0), collect(t, l, 1)
	if len(e0) != 2 || l.NumBatches(0) != 2 {
		t.Fatalf("%d batches with drop-last, want 2", len(e0))
	}
	if slices.Equal(e0[0].Indices, e1[0].Indices) && slices.Equal(e0[1].Indices, e1[1].Indices) {
		t.Error("epochs 0 and 1 shuffled the same")
	}
	// Without augmentation, values are the source pixels / 255.
	b := e0[0]
	i := b.Indices[1]
	for p := range 360 {
		want := float32(uint8(i*17+p)) / 255
		if got := b.Images.Data[360+p]; got-want > 1e-6 || want-got > 1e-6 {
			t.Fatalf("sample %d value %d = %v, want %v", i, p, got, want)
		}
	}
	// Released batches are reused and fully overwritten: epoch 0 again,
	// after releasing everything, gives the same values.
	want := slices.Clone(e0[1].Images.Data)
	for _, b := range append(e0, e1...) {
		b.Release()
	}
	again := collect(t, l, 0)
	if !slices.Equal(again[1].Images.Data, want) {
		t.Fatal("batch from reused memory differs")
	}
	// Sequential order without Shuffle.
	l, _ = NewLoader(ds, LoaderOptions{BatchSize: 4, Transform: Transform{Pre: pre}})
	all := collect(t, l, 0)
	if len(all) != 3 || !slices.Equal(all[2].Indices, []int{8, 9}) {
		t.Fatalf("sequential batches %d, last %v", len(all), all[len(all)-1].Indices)
	}
}

func TestLoaderSampleError(t *testing.T) {
	ds := &synthDataset{n: 20, failAt: 13}
	pre := Preprocess{Height: 4, Width: 4, Resize: ResizeSquash}
	l, _ := NewLoader(ds, LoaderOptions{BatchSize: 4, Workers: 3, Transform: Transform{Pre: pre}})
	it := l.Epoch(context.Background(), 0)
	defer it.Close()
	var err error
	n := 0
	for ; err == nil; n++ {
		_, err = it.Next()
	}
	if n != 4 || err == nil || err == io.EOF || !strings.Contains(err.Error(), "sample 13") || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("after %d calls err = %v, want the fourth to name sample 13", n, err)
	}
	if _, again := it.Next(); again != err {
		t.Fatalf("error not sticky: %v", again)
	}
}

func TestLoaderCancel(t *testing.T) {
	ds := &synthDataset{n: 100, failAt: -1, block: make(chan struct{})}
	pre := Preprocess{Height: 4, Width: 4, Resize: ResizeSquash}
	l, _ := NewLoader(ds, LoaderOptions{BatchSize: 2, Workers: 2, Prefetch: 1, Transform: Transform{Pre: pre}})
	ctx, cancel := context.WithCancel(context.Background())
	it := l.Epoch(ctx, 0)
	cancel()
	close(ds.block) // let blocked loads return so workers can see the cancellation
	_, err := it.Next()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	it.Close() // must return: every goroutine exits
	if n := ds.loads.Load(); n > 8 {
		t.Errorf("%d loads after cancellation, want few", n)
	}
}

func TestLoaderPrefetchBound(t *testing.T) {
	ds := &synthDataset{n: 400, failAt: -1}
	pre := Preprocess{Height: 4, Width: 4, Resize: ResizeSquash}
	l, _ := NewLoader(ds, LoaderOptions{BatchSize: 4, Workers: 4, Prefetch: 3, Transform: Transform{Pre: pre}})
	it := l.Epoch(context.Background(), 0)
	defer it.Close()
	// Without a consumer, the workers fill the queue and stop: at most
	// Prefetch queued batches plus one the dispatcher is handing out.
	deadline := time.Now().Add(5 * time.Second)
	for ds.loads.Load() < 12 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := ds.loads.Load(); n < 12 || n > 16 {
		t.Fatalf("%d samples loaded with no consumer, want between 12 and 16 (prefetch 3, batch 4)", n)
	}
	if b, err := it.Next(); err != nil || b.Indices[0] != 0 {
		t.Fatalf("first batch %v, %v", b, err)
	}
}

func TestLoaderBalancedSampler(t *testing.T) {
	ds := &synthDataset{n: 30, failAt: -1}
	s, err := NewBalancedSampler(ds, 12)
	if err != nil {
		t.Fatal(err)
	}
	pre := Preprocess{Height: 4, Width: 4, Resize: ResizeSquash}
	l, _ := NewLoader(ds, LoaderOptions{BatchSize: 5, Sampler: s, Seed: 4, Transform: Transform{Pre: pre}})
	got := collect(t, l, 2)
	var idx []int
	for _, b := range got {
		idx = append(idx, b.Indices...)
	}
	if !slices.Equal(idx, s.Indices(2, 4)) {
		t.Fatalf("loader order %v, sampler %v", idx, s.Indices(2, 4))
	}
	if _, err := NewLoader(ds, LoaderOptions{}); err == nil {
		t.Error("batch size 0 accepted")
	}
}

func TestLoaderFashionMNIST(t *testing.T) {
	ds := fashionTest(t)
	parts, err := StratifiedSplit(ds, 3, 0.9, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	val, _ := Subset(ds, parts[1])
	if val.Len() != 1000 {
		t.Fatalf("validation split %d, want 1000 (100 per class)", val.Len())
	}
	counts, _ := ClassCounts(val, 10)
	for c, n := range counts {
		if n != 100 {
			t.Fatalf("class %d: %d validation samples, want 100", c, n)
		}
	}
	pre := Preprocess{Height: 28, Width: 28, Resize: ResizeSquash, Scale: ScaleUnit}
	l, err := NewLoader(val, LoaderOptions{BatchSize: 64, Workers: 2, Transform: Transform{Pre: pre}})
	if err != nil {
		t.Fatal(err)
	}
	batches := collect(t, l, 0)
	if len(batches) != 16 {
		t.Fatalf("%d batches, want 16", len(batches))
	}
	// The first validation sample's pixels, unchanged apart from /255 and grey in all channels.
	first := parts[1][0]
	raw := ds.Images.Data[first*784 : (first+1)*784]
	got := batches[0].Images.Data
	for p, v := range raw {
		for c := range 3 {
			if want := float32(v) / 255; math.Abs(float64(got[3*p+c]-want)) > 1e-6 {
				t.Fatalf("pixel %d channel %d: %v, want %v", p, c, got[3*p+c], want)
			}
		}
	}
	if batches[0].Labels[0] != int(ds.Labels.Data[first]) {
		t.Fatalf("label %d, want %d", batches[0].Labels[0], ds.Labels.Data[first])
	}
}
