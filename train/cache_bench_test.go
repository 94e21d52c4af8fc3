package train_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/train"
	"github.com/graft-ml/graft/zoo"
)

// noise is a synthetic dataset of random 64x64 images in three classes.
type noise struct{ n int }

func (d noise) Len() int             { return d.n }
func (d noise) Label(i int) int      { return i % 3 }
func (d noise) ClassNames() []string { return []string{"a", "b", "c"} }
func (d noise) Load(i int, dst *data.RGB) error {
	dst.Reset(64, 64)
	r := rand.New(rand.NewPCG(uint64(i), 1))
	for j := range dst.Pix {
		dst.Pix[j] = uint8(r.IntN(256))
	}
	return nil
}

// benchNetwork is a MobileNetV2 (width 0.5, 64x64) base with a 3-class head.
func benchNetwork(b *testing.B) *train.Network {
	m, err := zoo.Build("mobilenet_v2", zoo.Options{IncludeTop: true, Classes: 3, InputH: 64, InputW: 64, Width: 0.5})
	if err != nil {
		b.Fatal(err)
	}
	var blocks [][]string
	for _, bl := range m.Blocks {
		blocks = append(blocks, bl.Nodes)
	}
	return &train.Network{Graph: m.Graph, Input: m.Graph.Inputs()[0], Feature: m.FeatureNode, Blocks: blocks,
		Preprocess: data.Preprocess{Height: 64, Width: 64, Resize: data.ResizeSquash, Scale: data.ScaleSymmetric},
		Classes:    []string{"a", "b", "c"}}
}

// BenchmarkHeadEpoch times the epochs of the head phase (base frozen) on
// 256 images, with and without the feature cache: each iteration is one
// Fit of four epochs, and the metric is the mean time of epochs 2-4 (with
// the cache, epoch 1 computes the features, as any run's first epoch does).
// Run with go test -run XXX -bench HeadEpoch -benchtime 2x ./train/
func BenchmarkHeadEpoch(b *testing.B) {
	ds := noise{n: 256}
	for _, cached := range []bool{false, true} {
		name := "uncached"
		if cached {
			name = "cached"
		}
		b.Run(name, func(b *testing.B) {
			net := benchNetwork(b)
			cfg := train.Config{BatchSize: 32, Seed: 1, Phases: []train.Phase{{Name: "head", Epochs: 4, LR: 1e-3, Freeze: train.Freeze{Base: true}}}}
			var later float64
			for range b.N {
				if cached {
					cfg.Cache = &train.FeatureCache{}
				}
				h, err := train.Fit(context.Background(), net, ds, noise{n: 32}, cfg)
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range h.Epochs[1:] {
					later += e.Seconds
				}
			}
			perEpoch := later / float64(3*b.N)
			b.ReportMetric(perEpoch*1000, "ms/epoch")
			b.ReportMetric(float64(ds.Len())/perEpoch, "img/s")
		})
	}
}
