package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/nn"
)

// blobs is a synthetic dataset: class k is a bright square in corner k on
// a noisy background, so that a small CNN learns it in a few epochs.
type blobs struct {
	n, classes int
	seed       uint64
}

func (b blobs) Len() int             { return b.n }
func (b blobs) Label(i int) int      { return i % b.classes }
func (b blobs) ClassNames() []string { return []string{"a", "b", "c"}[:b.classes] }
func (b blobs) Load(i int, dst *data.RGB) error {
	const s = 16
	dst.Reset(s, s)
	r := rand.New(rand.NewPCG(b.seed, uint64(i)))
	for j := range dst.Pix {
		dst.Pix[j] = uint8(r.IntN(100))
	}
	k := b.Label(i)
	ox, oy := (k%2)*8, (k/2)*8
	for y := oy; y < oy+6; y++ {
		for x := ox; x < ox+6; x++ {
			dst.Set(x+r.IntN(2), y+r.IntN(2), 250, 200, 150)
		}
	}
	return nil
}

func testNetwork(t *testing.T, seed uint64) *Network {
	t.Helper()
	g := nn.NewGraph()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(g.Input("image"))
	c1, err := nn.NewConv2D("c1", nn.Conv2DConfig{InChannels: 3, Filters: 8, KernelH: 3, KernelW: 3, Padding: nn.PadSame(), Init: nn.InitHeNormal, Seed: seed})
	must(err)
	bn1, err := nn.NewBatchNorm("bn1", nn.BatchNormConfig{Channels: 8, Convention: nn.BNPyTorch})
	must(err)
	for i := range bn1.MovingMean.Value.Data {
		bn1.MovingMean.Value.Data[i] = 0.05 * float32(i)
		bn1.MovingVariance.Value.Data[i] = 0.5 + 0.1*float32(i)
	}
	c2, err := nn.NewConv2D("c2", nn.Conv2DConfig{InChannels: 8, Filters: 16, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, Padding: nn.PadSame(), Init: nn.InitHeNormal, Seed: seed + 1})
	must(err)
	bn2, err := nn.NewBatchNorm("bn2", nn.BatchNormConfig{Channels: 16, Convention: nn.BNPyTorch})
	must(err)
	fc, err := nn.NewDense("fc", nn.DenseConfig{In: 16, Out: 3, Seed: seed + 2})
	must(err)
	must(g.Add("c1", c1, "image"))
	must(g.Add("bn1", bn1, "c1"))
	must(g.Add("r1", nn.NewReLU("r1"), "bn1"))
	must(g.Add("c2", c2, "r1"))
	must(g.Add("bn2", bn2, "c2"))
	must(g.Add("r2", nn.NewReLU("r2"), "bn2"))
	must(g.Add("gap", nn.NewGlobalAvgPool("gap", false), "r2"))
	must(g.Add("fc", fc, "gap"))
	return &Network{Graph: g, Input: "image", Feature: "gap", Blocks: [][]string{{"c1", "bn1", "r1"}, {"c2", "bn2", "r2", "gap"}},
		Preprocess: data.Preprocess{Height: 16, Width: 16, Resize: data.ResizeSquash, Scale: data.ScaleUnit},
		Classes:    []string{"a", "b", "c"}}
}

func snapshot(g *nn.Graph) map[string][]float32 {
	m := map[string][]float32{}
	for _, p := range append(g.Params(), g.State()...) {
		m[p.Name] = append([]float32(nil), p.Value.Data...)
	}
	return m
}

func headOnly(epochs int) Phase {
	return Phase{Name: "head", Epochs: epochs, Freeze: Freeze{Base: true}, LR: 0.05}
}

func TestHeadPhaseKeepsBaseBitIdentical(t *testing.T) {
	net := testNetwork(t, 1)
	before := snapshot(net.Graph)
	cfg := Config{Phases: []Phase{headOnly(3)}, BatchSize: 8, Seed: 4, Workers: 2}
	hist, err := Fit(context.Background(), net, blobs{n: 48, classes: 3, seed: 1}, blobs{n: 24, classes: 3, seed: 2}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	after := snapshot(net.Graph)
	for name, v := range before {
		changed := false
		for i := range v {
			if math.Float32bits(v[i]) != math.Float32bits(after[name][i]) {
				changed = true
				break
			}
		}
		isHead := name == "fc/kernel" || name == "fc/bias"
		if changed != isHead {
			t.Errorf("%s: changed=%v, want %v (only the head trains; frozen BatchNorm statistics stay)", name, changed, isHead)
		}
	}
	if len(hist.Epochs) != 3 || hist.Epochs[2].TrainLoss >= hist.Epochs[0].TrainLoss {
		t.Fatalf("training loss did not fall: %+v", hist.Epochs)
	}
}

func TestFeatureCacheGivesSameResults(t *testing.T) {
	train, val := blobs{n: 48, classes: 3, seed: 1}, blobs{n: 24, classes: 3, seed: 2}
	plain := testNetwork(t, 1)
	cfg := Config{Phases: []Phase{headOnly(4)}, BatchSize: 8, Seed: 4, Workers: 2}
	h1, err := Fit(context.Background(), plain, train, val, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cached := testNetwork(t, 1)
	cache := &FeatureCache{Dir: t.TempDir()}
	cfg.Cache = cache
	h2, err := Fit(context.Background(), cached, train, val, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range h1.Epochs {
		a, b := h1.Epochs[i], h2.Epochs[i]
		if !b.Cached || a.Cached {
			t.Fatalf("epoch %d: cached=%v/%v", i, a.Cached, b.Cached)
		}
		if math.Abs(a.TrainLoss-b.TrainLoss) > 1e-5 || math.Abs(a.ValLoss-b.ValLoss) > 1e-5 || a.ValAcc != b.ValAcc {
			t.Fatalf("epoch %d differs with the cache: %+v vs %+v", i, a, b)
		}
	}
	st := cache.Stats()
	if st.Entries != 72 || st.Misses != 72 {
		t.Fatalf("cache stats %+v: want 72 entries, each computed once", st)
	}
	// A second run with the same frozen weights finds every feature on disk.
	again := &FeatureCache{Dir: cache.Dir}
	cfg.Cache = again
	if _, err := Fit(context.Background(), testNetwork(t, 1), train, val, cfg); err != nil {
		t.Fatal(err)
	}
	if st := again.Stats(); st.Misses != 0 || st.Hits != 72 {
		t.Fatalf("second run's cache stats %+v: want 72 hits from disk", st)
	}
	// Different frozen weights must not reuse them.
	other := &FeatureCache{Dir: cache.Dir}
	cfg.Cache = other
	if _, err := Fit(context.Background(), testNetwork(t, 9), train, val, cfg); err != nil {
		t.Fatal(err)
	}
	if st := other.Stats(); st.Hits != 0 {
		t.Fatalf("features of other weights were reused: %+v", st)
	}
}

func TestResumeMatchesUninterruptedRun(t *testing.T) {
	train, val := blobs{n: 40, classes: 3, seed: 1}, blobs{n: 15, classes: 3, seed: 2}
	phases := []Phase{headOnly(2), {Name: "fine-tune", Epochs: 2, Freeze: Freeze{Base: true, LastBlocks: 1}, LR: 0.01, WarmupFraction: 0.2}}
	full := testNetwork(t, 3)
	hFull, err := Fit(context.Background(), full, train, val, Config{Phases: phases, BatchSize: 8, Seed: 7, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	part := testNetwork(t, 3)
	// Interrupt after the head phase and one fine-tuning epoch.
	ctx, cancel := context.WithCancel(context.Background())
	done := 0
	_, err = Fit(ctx, part, train, val, Config{Phases: phases, BatchSize: 8, Seed: 7, Workers: 2, OutDir: dir,
		OnEpoch: func(EpochLog) {
			if done++; done == 3 {
				cancel()
			}
		}})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want an interruption", err)
	}
	if _, err := os.Stat(filepath.Join(dir, LastFile)); err != nil {
		t.Fatal(err)
	}
	resumed := testNetwork(t, 99) // different initial weights: everything must come from the checkpoint
	hRes, err := Fit(context.Background(), resumed, train, val, Config{Phases: phases, BatchSize: 8, Seed: 7, Workers: 2, OutDir: dir, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(hRes.Epochs) != len(hFull.Epochs) {
		t.Fatalf("resumed history has %d epochs, want %d", len(hRes.Epochs), len(hFull.Epochs))
	}
	a, b := snapshot(full.Graph), snapshot(resumed.Graph)
	for name, v := range a {
		for i := range v {
			if math.Float32bits(v[i]) != math.Float32bits(b[name][i]) {
				t.Fatalf("%s[%d]: resumed %v, uninterrupted %v", name, i, b[name][i], v[i])
			}
		}
	}
	for _, f := range []string{BestFile, MetricsCSV, MetricsJSON} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("run folder lacks %s", f)
		}
	}
}

func TestFitRejectsBadInput(t *testing.T) {
	net := testNetwork(t, 1)
	good := blobs{n: 12, classes: 3, seed: 1}
	cases := map[string]struct {
		train, val blobs
		cfg        Config
	}{
		"no phases":       {good, good, Config{}},
		"zero epochs":     {good, good, Config{Phases: []Phase{{Epochs: 0, LR: 0.1}}}},
		"two classes":     {blobs{n: 12, classes: 2}, good, Config{Phases: []Phase{headOnly(1)}}},
		"empty val":       {good, blobs{n: 0, classes: 3}, Config{Phases: []Phase{headOnly(1)}}},
		"bad balance":     {good, good, Config{Phases: []Phase{headOnly(1)}, Balance: "magic"}},
		"too many blocks": {good, good, Config{Phases: []Phase{{Epochs: 1, LR: 0.1, Freeze: Freeze{Base: true, LastBlocks: 5}}}}},
	}
	for name, c := range cases {
		if _, err := Fit(context.Background(), net, c.train, c.val, c.cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestInterruptStopsAndKeepsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	net := testNetwork(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	epochs := 0
	cfg := Config{Phases: []Phase{headOnly(5)}, BatchSize: 8, Seed: 1, Workers: 1, OutDir: dir,
		OnEpoch: func(EpochLog) {
			epochs++
			if epochs == 2 {
				cancel()
			}
		}}
	hist, err := Fit(ctx, net, blobs{n: 24, classes: 3, seed: 1}, blobs{n: 9, classes: 3, seed: 2}, cfg)
	if err == nil || !hist.Interrupted {
		t.Fatalf("err = %v, interrupted = %v", err, hist.Interrupted)
	}
	for _, f := range []string{LastFile, InterruptedFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s after an interrupt", f)
		}
	}
}

func TestStaleTempFilesAreRemoved(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, ".last.graft.tmp-123")
	if err := os.WriteFile(stale, []byte("half a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Phases: []Phase{headOnly(1)}, BatchSize: 8, Seed: 1, OutDir: dir}
	if _, err := Fit(context.Background(), testNetwork(t, 1), blobs{n: 12, classes: 3, seed: 1}, blobs{n: 6, classes: 3, seed: 2}, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temporary file survived: %v", err)
	}
}
