package graft_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graft-ml/graft"
	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/train"
)

// sharedDir locates ../shared beside the repository, or skips the test.
func sharedDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs("../shared")
	if err == nil {
		if _, err = os.Stat(filepath.Join(d, "datasets", "pets-a")); err == nil {
			return d
		}
	}
	t.Skipf("../shared (the shared test data) is not beside the repository: %v", err)
	return ""
}

// catsVsDogs relabels the 19 breeds: capitalised folder names are cats.
type catsVsDogs struct{ *data.FileDataset }

func (c catsVsDogs) Label(i int) int {
	name := c.FileDataset.Classes[c.FileDataset.Labels[i]]
	if strings.ToUpper(name[:1]) == name[:1] {
		return 0
	}
	return 1
}
func (c catsVsDogs) ClassNames() []string { return []string{"cat", "dog"} }

// The head recipe for the pets test: a linear classifier with light dropout
// and decoupled weight decay on the frozen embedding, trained long enough to
// converge (each epoch costs microseconds once the features are cached).
const (
	petsDropout = 0.1
	petsEpochs  = 300
	petsLR      = 3e-3
	petsWD      = 0.2
)

// crossValidate trains the recipe's head on the Coral MobileNetV1 embedding
// under stratified k-fold cross-validation and returns the mean accuracy.
func crossValidate(t *testing.T, ds data.Dataset, folds int) float64 {
	shared := sharedDir(t)
	model := filepath.Join(shared, "models", "coral", "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite")
	fs, err := data.StratifiedKFold(ds, folds, 1)
	if err != nil {
		t.Fatal(err)
	}
	cache := &train.FeatureCache{Dir: filepath.Join(os.TempDir(), "graft-test-feature-cache")}
	right, total := 0, 0
	for k, f := range fs {
		base, err := graft.BaseFromFile(model, "")
		if err != nil {
			t.Fatal(err)
		}
		m, err := base.WithHead(ds.ClassNames(), graft.Head{Dropout: petsDropout, Seed: uint64(k)})
		if err != nil {
			t.Fatal(err)
		}
		trainSet, _ := data.Subset(ds, f.Train)
		testSet, _ := data.Subset(ds, f.Val)
		_, err = m.Fit(context.Background(), trainSet, testSet, graft.Recipe{HeadEpochs: petsEpochs, LR: petsLR,
			Train: train.Config{BatchSize: 16, Seed: uint64(k), Cache: cache, WeightDecay: petsWD, Optimizer: "adamw"}})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := m.Evaluate(context.Background(), testSet)
		if err != nil {
			t.Fatal(err)
		}
		right += int(ev.Accuracy()*float64(testSet.Len()) + 0.5)
		total += testSet.Len()
		t.Logf("fold %d: %.3f on %d images", k+1, ev.Accuracy(), testSet.Len())
	}
	return float64(right) / float64(total)
}

func TestPetsCrossValidation(t *testing.T) {
	shared := sharedDir(t)
	if testing.Short() {
		t.Skip("pets cross-validation runs MobileNetV1 on 190 photos: skipped with -short")
	}
	ds, err := data.OpenImageFolder(filepath.Join(shared, "datasets", "pets-a"), data.FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	breeds := crossValidate(t, ds, 5)
	t.Logf("19 breeds, 5-fold: %.1f%%", 100*breeds)
	if breeds < 0.88 {
		t.Errorf("19 breeds: %.1f%% under 5-fold cross-validation, want at least 88%%", 100*breeds)
	}
	cd := crossValidate(t, catsVsDogs{ds}, 5)
	t.Logf("cat vs dog, 5-fold: %.1f%%", 100*cd)
	if cd < 0.97 {
		t.Errorf("cat vs dog: %.1f%% under 5-fold cross-validation, want at least 97%%", 100*cd)
	}
}
