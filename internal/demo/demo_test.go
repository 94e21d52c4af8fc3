package demo

import (
	"context"
	"encoding/json"
	"github.com/graft-ml/graft/train"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graft-ml/graft"
	"github.com/graft-ml/graft/data"
)

const fashionDir = "/usr/share/datasets/fashion-mnist"

// TestDemoEndToEnd runs the whole demo on a tiny budget: pretraining,
// transfer, the from-scratch baseline, the saved model and result, and a
// second run that finds the pretrained source model in the cache.
func TestDemoEndToEnd(t *testing.T) {
	if _, err := os.Stat(filepath.Join(fashionDir, "t10k-labels-idx1-ubyte.gz")); err != nil {
		t.Skipf("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): %v", err)
	}
	dir := t.TempDir()
	o := Options{OutDir: filepath.Join(dir, "run"), CacheDir: filepath.Join(dir, "cache"), Width: 0.35,
		SourceSamples: 400, SourceEpochs: 1, PerClass: 4, HeadEpochs: 3, FineTuneEpochs: 1, ScratchEpochs: 2, TestSamples: 100, Seed: 3}
	r, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if r.SourceCached || !r.ScratchRun || r.TestImages != 100 {
		t.Fatalf("result %+v", r)
	}
	for _, acc := range []float64{r.SourceAccuracy, r.TransferAccuracy, r.ScratchAccuracy} {
		if !(acc >= 0 && acc <= 1) {
			t.Fatalf("accuracy %v out of range in %+v", acc, r)
		}
	}
	m, err := graft.Load(r.ModelPath)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Network().Classes; len(got) != 5 || got[0] != "Sandal" || got[4] != "Ankle boot" {
		t.Fatalf("saved model's classes %v", got)
	}
	var saved Result
	b, err := os.ReadFile(filepath.Join(o.OutDir, "result.json"))
	if err != nil || json.Unmarshal(b, &saved) != nil || saved.TransferAccuracy != r.TransferAccuracy {
		t.Fatalf("result.json: %v %s", err, b)
	}
	var cfg map[string]string
	b, err = os.ReadFile(filepath.Join(o.OutDir, train.ConfigJSON))
	if err != nil || json.Unmarshal(b, &cfg) != nil || cfg["target classes"] != "Sandal, Shirt, Sneaker, Bag, Ankle boot" || cfg["labelled images per class"] != "4" {
		t.Fatalf("config.json: %v %s", err, b)
	}
	if html, err := os.ReadFile(filepath.Join(o.OutDir, train.ReportHTML)); err != nil || !strings.Contains(string(html), "Ankle boot") {
		t.Fatalf("report.html: %v", err)
	}
	again, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !again.SourceCached || again.TransferAccuracy != r.TransferAccuracy || again.ScratchAccuracy != r.ScratchAccuracy {
		t.Fatalf("second run %+v, first %+v: want the cached source and the same accuracies", again, r)
	}
}

func TestPickRelabelsAndBalances(t *testing.T) {
	ds, err := data.OpenIDX(filepath.Join(fashionDir, "t10k-images-idx3-ubyte.gz"), filepath.Join(fashionDir, "t10k-labels-idx1-ubyte.gz"), data.FashionMNISTClasses)
	if err != nil {
		t.Skipf("Fashion-MNIST not installed: %v", err)
	}
	p := Pick(ds, []int{5, 9}, 7, 1)
	if p.Len() != 14 || p.ClassNames()[0] != "Sandal" || p.ClassNames()[1] != "Ankle boot" {
		t.Fatalf("picked %d samples of %v", p.Len(), p.ClassNames())
	}
	counts := [2]int{}
	for i := 0; i < p.Len(); i++ {
		counts[p.Label(i)]++
		if want := []int{5, 9}[p.Label(i)]; ds.Label(p.indices[i]) != want {
			t.Fatalf("sample %d relabelled wrongly", i)
		}
	}
	if counts != [2]int{7, 7} {
		t.Fatalf("per-class counts %v", counts)
	}
}
