package nn_test

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/optim"
	"github.com/graft-ml/graft/tensor"
)

// fmnistDir is where Debian's dataset-fashion-mnist package installs the
// gzipped IDX files.
const fmnistDir = "/usr/share/datasets/fashion-mnist"

// fmnist is one split of Fashion-MNIST: images scaled to roughly zero mean
// and unit variance, [N*28*28], and labels [N].
type fmnist struct {
	images []float32
	labels []float32
}

func (d *fmnist) len() int { return len(d.labels) }

// loadFMNIST reads one split ("train" or "t10k"), skipping the test when
// the dataset is not installed.
func loadFMNIST(t *testing.T, split string) *fmnist {
	t.Helper()
	imgPath := filepath.Join(fmnistDir, split+"-images-idx3-ubyte.gz")
	lblPath := filepath.Join(fmnistDir, split+"-labels-idx1-ubyte.gz")
	for _, p := range []string{imgPath, lblPath} {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			t.Skipf("Fashion-MNIST not installed (%s missing; apt-get install dataset-fashion-mnist)", p)
		}
	}
	images, err := data.ReadIDXFile(imgPath)
	if err != nil {
		t.Fatal(err)
	}
	labels, err := data.ReadIDXFile(lblPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(images.Dims) != 3 || images.Dims[1] != 28 || images.Dims[2] != 28 || len(labels.Dims) != 1 || labels.Dims[0] != images.Dims[0] {
		t.Fatalf("%s: images %v and labels %v, want [N 28 28] and [N]", split, images.Dims, labels.Dims)
	}
	// Fashion-MNIST's pixel mean and standard deviation (on [0, 1]).
	const mean, std = 0.2860, 0.3530
	px := images.Float32s()
	for i, v := range px {
		px[i] = (v/255 - mean) / std
	}
	return &fmnist{images: px, labels: labels.Float32s()}
}

// batch copies examples idx into x [len(idx), 28, 28, 1] and y [len(idx)].
func (d *fmnist) batch(idx []int, x, y *tensor.Tensor) {
	const px = 28 * 28
	for k, i := range idx {
		copy(x.Data[k*px:(k+1)*px], d.images[i*px:(i+1)*px])
		y.Data[k] = d.labels[i]
	}
}

// fmnistCNN is conv16-bn-relu-pool, conv32-bn-relu-pool, dense 10, seeded.
func fmnistCNN(t *testing.T) *nn.Graph {
	t.Helper()
	g := nn.NewGraph()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(g.Input("image"))
	c1, err := nn.NewConv2D("conv1", nn.Conv2DConfig{InChannels: 1, Filters: 16, KernelH: 3, KernelW: 3,
		Padding: nn.PadSame(), Init: nn.InitHeNormal, Seed: 1})
	check(err)
	bn1, err := nn.NewBatchNorm("bn1", nn.BatchNormConfig{Channels: 16, Convention: nn.BNPyTorch})
	check(err)
	p1, err := nn.NewMaxPool2D("pool1", nn.Pool2DConfig{PoolH: 2, PoolW: 2})
	check(err)
	c2, err := nn.NewConv2D("conv2", nn.Conv2DConfig{InChannels: 16, Filters: 32, KernelH: 3, KernelW: 3,
		Padding: nn.PadSame(), Init: nn.InitHeNormal, Seed: 2})
	check(err)
	bn2, err := nn.NewBatchNorm("bn2", nn.BatchNormConfig{Channels: 32, Convention: nn.BNPyTorch})
	check(err)
	p2, err := nn.NewMaxPool2D("pool2", nn.Pool2DConfig{PoolH: 2, PoolW: 2})
	check(err)
	fc, err := nn.NewDense("fc", nn.DenseConfig{In: 7 * 7 * 32, Out: 10, Init: nn.InitGlorotUniform, Seed: 3})
	check(err)
	check(g.Add("conv1", c1, "image"))
	check(g.Add("bn1", bn1, "conv1"))
	check(g.Add("relu1", nn.NewReLU("relu1"), "bn1"))
	check(g.Add("pool1", p1, "relu1"))
	check(g.Add("conv2", c2, "pool1"))
	check(g.Add("bn2", bn2, "conv2"))
	check(g.Add("relu2", nn.NewReLU("relu2"), "bn2"))
	check(g.Add("pool2", p2, "relu2"))
	check(g.Add("flat", nn.NewFlatten("flat"), "pool2"))
	check(g.Add("fc", fc, "flat"))
	return g
}

// accuracy returns the fraction of d that g classifies correctly, in
// inference mode, batch by batch.
func accuracy(t *testing.T, g *nn.Graph, d *fmnist) float64 {
	t.Helper()
	const bs = 500
	correct := 0
	idx := make([]int, 0, bs)
	for start := 0; start < d.len(); start += bs {
		idx = idx[:0]
		for i := start; i < min(start+bs, d.len()); i++ {
			idx = append(idx, i)
		}
		x, y := tensor.New(len(idx), 28, 28, 1), tensor.New(len(idx))
		d.batch(idx, x, y)
		out, err := g.Forward([]*tensor.Tensor{x}, false)
		if err != nil {
			t.Fatal(err)
		}
		logits := out[0]
		for r := range idx {
			row := logits.Data[r*10 : (r+1)*10]
			best := 0
			for c, v := range row {
				if v > row[best] {
					best = c
				}
			}
			if float32(best) == y.Data[r] {
				correct++
			}
		}
	}
	return float64(correct) / float64(d.len())
}

// TestFashionMNISTFromScratch trains a small CNN from random weights on
// Fashion-MNIST with Adam for a fixed number of steps and checks its
// accuracy on the full 10,000-image test set. Everything is seeded, so the
// result is the same run to run on one machine. -short trains for fewer
// steps against a lower bar.
func TestFashionMNISTFromScratch(t *testing.T) {
	steps, bar := 1500, 0.85
	if testing.Short() {
		steps, bar = 300, 0.78
	}
	train := loadFMNIST(t, "train")
	test := loadFMNIST(t, "t10k")

	g := fmnistCNN(t)
	opt, err := optim.NewAdam(optim.DefaultAdamConfig(2e-3), optim.Group{Params: g.TrainableParams()})
	if err != nil {
		t.Fatal(err)
	}
	loss, err := nn.NewSoftmaxCrossEntropy(nn.CrossEntropyConfig{})
	if err != nil {
		t.Fatal(err)
	}
	const bs = 64
	rng := rand.New(rand.NewPCG(42, 7))
	order := rng.Perm(train.len())
	pos := 0
	x, y := tensor.New(bs, 28, 28, 1), tensor.New(bs)
	var first, recent float64
	for step := 0; step < steps; step++ {
		if pos+bs > len(order) {
			order, pos = rng.Perm(train.len()), 0
		}
		train.batch(order[pos:pos+bs], x, y)
		pos += bs

		g.ZeroGrad()
		out, err := g.Forward([]*tensor.Tensor{x}, true)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		l, err := loss.Forward(out[0], y)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		dy, err := loss.Backward()
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if _, err := g.Backward([]*tensor.Tensor{dy}); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if err := opt.Step(); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if step == 0 {
			first = l
		}
		recent = 0.98*recent + 0.02*l
		if step == 0 {
			recent = l
		}
	}
	acc := accuracy(t, g, test)
	t.Logf("%d Adam steps of batch %d: first loss %.3f, smoothed final loss %.3f, test accuracy %.4f", steps, bs, first, recent, acc)
	if !(recent < first/3) {
		t.Errorf("smoothed loss went from %.3f to %.3f; want it below a third of the first", first, recent)
	}
	if acc < bar {
		t.Errorf("test accuracy %.4f after %d steps, want at least %.2f", acc, steps, bar)
	}
}
