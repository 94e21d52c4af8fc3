package train

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/nn"
)

// tints is a synthetic dataset a linear head on average colours learns:
// class k's images are noise with colour channel k raised. Every seventh
// label is wrong, so the loss cannot reach zero and too high a rate
// diverges.
type tints struct {
	n    int
	seed uint64
}

func (d tints) Len() int { return d.n }
func (d tints) Label(i int) int {
	if i%7 == 6 {
		return (i + 1) % 3
	}
	return i % 3
}
func (d tints) ClassNames() []string { return []string{"red", "green", "blue"} }
func (d tints) Load(i int, dst *data.RGB) error {
	dst.Reset(8, 8)
	r := rand.New(rand.NewPCG(d.seed, uint64(i)))
	for j := range dst.Pix {
		dst.Pix[j] = uint8(r.IntN(160))
		if j%3 == i%3 {
			dst.Pix[j] += 60
		}
	}
	return nil
}

// tintNetwork is a frozen 1x1 convolution (the base), global average
// pooling and a dense head.
func tintNetwork(t *testing.T) *Network {
	t.Helper()
	g := nn.NewGraph()
	conv, err := nn.NewConv2D("conv", nn.Conv2DConfig{InChannels: 3, Filters: 6, KernelH: 1, KernelW: 1, Init: nn.InitHeNormal, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	fc, err := nn.NewDense("fc", nn.DenseConfig{In: 6, Out: 3, Seed: 6})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{g.Input("image"), g.Add("conv", conv, "image"), g.Add("gap", nn.NewGlobalAvgPool("gap", false), "conv"),
		g.Add("fc", fc, "gap")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	net := &Network{Graph: g, Input: "image", Feature: "gap", Blocks: [][]string{{"conv", "gap"}},
		Preprocess: data.Preprocess{Height: 8, Width: 8, Resize: data.ResizeSquash, Scale: data.ScaleMeanStd,
			Mean: [3]float32{0.4, 0.4, 0.4}, Std: [3]float32{0.1, 0.1, 0.1}},
		Classes: []string{"red", "green", "blue"}}
	if err := (Freeze{Base: true}).Apply(net); err != nil {
		t.Fatal(err)
	}
	return net
}

func TestFindLRSuggestsASaneRateAndRestoresTheNetwork(t *testing.T) {
	net := tintNetwork(t)
	// A gradient left over from earlier work must survive too.
	fc, _ := net.Graph.Layer("fc")
	fc.Params()[1].EnsureGrad().Data[0] = 0.25
	before := snapshot(net.Graph)
	var trainable []bool
	for _, p := range net.Graph.Params() {
		trainable = append(trainable, p.Trainable)
	}
	res, err := FindLR(context.Background(), net, tints{n: 96, seed: 1},
		LRFindConfig{BatchSize: 8, Seed: 3, Workers: 2, Optimizer: "sgd"})
	if err != nil {
		t.Fatal(err)
	}
	after := snapshot(net.Graph)
	for name, v := range before {
		for i := range v {
			if math.Float32bits(v[i]) != math.Float32bits(after[name][i]) {
				t.Fatalf("%s[%d] changed from %v to %v", name, i, v[i], after[name][i])
			}
		}
	}
	for i, p := range net.Graph.Params() {
		if p.Trainable != trainable[i] {
			t.Errorf("%s: trainable flag changed", p.Name)
		}
		if p.Name == "fc/bias" {
			if p.Grad == nil || p.Grad.Data[0] != 0.25 || p.Grad.Data[1] != 0 {
				t.Errorf("fc/bias gradient not restored: %v", p.Grad)
			}
		} else if p.Grad != nil {
			t.Errorf("%s: has a gradient it did not have before", p.Name)
		}
	}
	n := len(res.LRs)
	if n < 20 || len(res.Losses) != n || len(res.Smoothed) != n {
		t.Fatalf("%d steps recorded (%d losses, %d smoothed)", n, len(res.Losses), len(res.Smoothed))
	}
	for i := 1; i < n; i++ {
		if !(res.LRs[i] > res.LRs[i-1]) {
			t.Fatalf("rates not increasing at %d: %v", i, res.LRs[i-1:i+1])
		}
	}
	if math.Abs(res.LRs[0]-1e-7) > 1e-12 {
		t.Errorf("first rate %g, want 1e-7", res.LRs[0])
	}
	// Adam on a linear head learns at rates around 1e-3..1e-1; it makes
	// no progress below 1e-5 and diverges at 10.
	if res.Steepest < 1e-4 || res.Steepest > 0.5 {
		t.Errorf("steepest-descent rate %g outside [1e-4, 0.5]", res.Steepest)
	}
	if res.MinLoss < 1e-3 || res.MinLoss > 5 || res.MinLossOver10() != res.MinLoss/10 {
		t.Errorf("minimum-loss rate %g outside [1e-3, 5]", res.MinLoss)
	}
	if res.Steepest > res.MinLoss {
		t.Errorf("steepest %g is past the minimum %g", res.Steepest, res.MinLoss)
	}
	t.Logf("steepest %g, min %g, %d steps, diverged %v", res.Steepest, res.MinLoss, n, res.Diverged)
	// The suggestion trains: three epochs at it classify the held-out
	// images about as well as the noisy labels allow (6/7 are right).
	hist, err := Fit(context.Background(), net, tints{n: 96, seed: 1}, tints{n: 42, seed: 2},
		Config{Phases: []Phase{{Name: "head", Epochs: 3, LR: res.Steepest}}, BatchSize: 8, Seed: 3, Workers: 2, Optimizer: "sgd"})
	if err != nil {
		t.Fatal(err)
	}
	if acc := hist.Epochs[2].ValAcc; acc < 0.75 {
		t.Errorf("validation accuracy %.3f after 3 epochs at the suggested rate %g, want >= 0.75", acc, res.Steepest)
	}
	dir := t.TempDir()
	path, err := res.WritePlot(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || filepath.Base(path) != LRFindPNG {
		t.Fatalf("%s: %v", path, err)
	}
	savePlot(t, "lr_find.png", b)
	decodePNG(t, b, 900, 500)
}

func TestLRFindSuggestOnAKnownCurve(t *testing.T) {
	// A loss that falls fastest at 1e-3 (a logistic step in log10(lr)),
	// bottoms out, then climbs.
	r := &LRFindResult{}
	for i := range 100 {
		e := -7 + 8*float64(i)/99
		lr := math.Pow(10, e)
		loss := 2 - 1.5/(1+math.Exp(-3*(e+3)))
		if e > -1 {
			loss += 3 * (e + 1) * (e + 1)
		}
		r.LRs = append(r.LRs, lr)
		r.Smoothed = append(r.Smoothed, loss)
	}
	r.suggest()
	if math.Abs(math.Log10(r.Steepest)+3) > 0.1 {
		t.Errorf("steepest %g, want 1e-3", r.Steepest)
	}
	if math.Abs(math.Log10(r.MinLoss)+1) > 0.2 {
		t.Errorf("minimum at %g, want about 0.1", r.MinLoss)
	}
}

func TestFindLRRejectsBadConfig(t *testing.T) {
	net := testNetwork(t, 1)
	ds := blobs{n: 12, classes: 3, seed: 1}
	for _, cfg := range []LRFindConfig{{MinLR: 1, MaxLR: 0.1}, {Steps: 3}, {Smoothing: 1}, {Diverge: 0.5}, {BatchSize: -1}} {
		if _, err := FindLR(context.Background(), net, ds, cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
	if _, err := FindLR(context.Background(), net, blobs{n: 12, classes: 2, seed: 1}, LRFindConfig{}); err == nil {
		t.Error("a dataset with the wrong number of classes: no error")
	}
	net.Graph.SetAllTrainable(false)
	if _, err := FindLR(context.Background(), net, ds, LRFindConfig{}); err == nil {
		t.Error("a fully frozen network: no error")
	}
}

func TestFindLRStopsWhenTheLossDiverges(t *testing.T) {
	net := tintNetwork(t)
	res, err := FindLR(context.Background(), net, tints{n: 96, seed: 1},
		LRFindConfig{MinLR: 1e-4, MaxLR: 1e6, Steps: 60, BatchSize: 8, Seed: 3, Workers: 2, Optimizer: "sgd"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Diverged || len(res.LRs) >= 60 {
		t.Fatalf("diverged %v after %d of 60 steps (last rate %g): the sweep did not stop", res.Diverged, len(res.LRs), res.LRs[len(res.LRs)-1])
	}
}
