package nn_test

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/graft-ml/graft/formats/safetensors"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// parityTol bounds the error of every output and gradient against PyTorch.
// The error of a tensor is max|got-want| / max(max|want|, 1e-6): the largest
// difference relative to the reference's largest magnitude.
const parityTol = 1e-4

// parityCase is one fixture written by testdata/parity/gen_parity.py.
type parityCase struct {
	name, kind string
	cfg        map[string]any
	file       *safetensors.File
	used       map[string]bool
}

// get returns a fixture tensor and marks it used; a missing one fails.
func (c *parityCase) get(t *testing.T, name string) *tensor.Tensor {
	t.Helper()
	x, err := c.file.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	c.used[name] = true
	return x
}

func (c *parityCase) has(name string) bool {
	_, ok := c.file.Lookup(name)
	return ok
}

func (c *parityCase) num(key string) float64 {
	v, _ := c.cfg[key].(float64)
	return v
}

func (c *parityCase) int(key string) int { return int(c.num(key)) }

func (c *parityCase) ints(key string) []int {
	vs, _ := c.cfg[key].([]any)
	out := make([]int, len(vs))
	for i, v := range vs {
		f, _ := v.(float64)
		out[i] = int(f)
	}
	return out
}

func (c *parityCase) bool(key string) bool {
	v, _ := c.cfg[key].(bool)
	return v
}

// parityLayer is a layer built from a fixture: the layer, its parameters
// and state by fixture name, and the training flag Forward takes.
type parityLayer struct {
	layer    nn.Layer
	params   map[string]*nn.Param // "kernel", "bias", "gamma", "beta"
	state    map[string]*nn.Param // "moving_mean", "moving_variance"
	training bool
}

// parityBuilders build the Graft layer for each fixture kind.
var parityBuilders = map[string]func(t *testing.T, c *parityCase) parityLayer{
	"Conv2D":          buildConv2D,
	"DepthwiseConv2D": buildDepthwise,
	"Dense":           buildDense,
	"BatchNorm":       buildBatchNorm,
	"ReLU":            noParams(func(*parityCase) nn.Layer { return nn.NewReLU("relu") }),
	"ReLU6":           noParams(func(*parityCase) nn.Layer { return nn.NewReLU6("relu6") }),
	"LeakyReLU": noParams(func(c *parityCase) nn.Layer {
		return nn.NewLeakyReLU("leaky_relu", float32(c.num("alpha")))
	}),
	"Sigmoid":   noParams(func(*parityCase) nn.Layer { return nn.NewSigmoid("sigmoid") }),
	"SiLU":      noParams(func(*parityCase) nn.Layer { return nn.NewSwish("silu") }),
	"Hardswish": noParams(func(*parityCase) nn.Layer { return nn.NewHardSwish("hardswish") }),
	"Hardsigmoid": noParams(func(*parityCase) nn.Layer {
		return nn.NewHardSigmoid("hardsigmoid", nn.HardSigmoidTorch, 0.5)
	}),
	"Softmax": noParams(func(*parityCase) nn.Layer { return nn.NewSoftmax("softmax") }),
	"MaxPool": buildPool,
	"AvgPool": buildPool,
	"GlobalAvgPool": noParams(func(*parityCase) nn.Layer {
		return nn.NewGlobalAvgPool("global_avgpool", true) // AdaptiveAvgPool2d(1) keeps 1x1
	}),
	"ZeroPad2d": func(t *testing.T, c *parityCase) parityLayer {
		p := c.ints("padding")
		l, err := nn.NewZeroPadding2D(c.name, p[0], p[1], p[2], p[3])
		if err != nil {
			t.Fatal(err)
		}
		return withParams(l, nil)
	},
	"Flatten": noParams(func(c *parityCase) nn.Layer { return nn.NewFlatten(c.name) }),
	"Dropout": func(t *testing.T, c *parityCase) parityLayer {
		l, err := nn.NewDropout(c.name, c.num("rate"), 1)
		if err != nil {
			t.Fatal(err)
		}
		pl := withParams(l, nil)
		pl.training = c.bool("training")
		return pl
	},
	"Add":    noParams(func(c *parityCase) nn.Layer { return nn.NewAdd(c.name) }),
	"Mul":    noParams(func(c *parityCase) nn.Layer { return nn.NewMultiply(c.name) }),
	"Concat": noParams(func(c *parityCase) nn.Layer { return nn.NewConcat(c.name) }),
}

// parityPending lists fixture kinds whose Graft layer does not exist yet;
// their cases are skipped, and any other unknown kind fails.
var parityPending = map[string]string{}

// parityLosses build the Graft loss for each loss fixture kind.
var parityLosses = map[string]func(t *testing.T, c *parityCase) nn.Loss{
	"CrossEntropyLoss": func(t *testing.T, c *parityCase) nn.Loss {
		cfg := nn.CrossEntropyConfig{LabelSmoothing: c.num("label_smoothing")}
		if c.bool("weighted") {
			cfg.ClassWeights = c.get(t, "weight").Data
		}
		l, err := nn.NewSoftmaxCrossEntropy(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return l
	},
	"BCEWithLogitsLoss": func(t *testing.T, c *parityCase) nn.Loss {
		var pw []float32
		if c.has("pos_weight") {
			pw = c.get(t, "pos_weight").Data
		}
		return nn.NewBinaryCrossEntropy(pw)
	},
}

func TestPyTorchParity(t *testing.T) {
	paths, err := filepath.Glob("testdata/parity/*.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 45 {
		t.Fatalf("found %d parity fixtures; run testdata/parity/gen_parity.py", len(paths))
	}
	kinds := map[string]bool{}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".safetensors")
		t.Run(name, func(t *testing.T) {
			c := loadParityCase(t, path, name)
			kinds[c.kind] = true
			if why, ok := parityPending[c.kind]; ok {
				t.Skipf("%s: %s", c.kind, why)
			}
			if build, ok := parityLosses[c.kind]; ok {
				runLossParity(t, c, build(t, c))
				return
			}
			build, ok := parityBuilders[c.kind]
			if !ok {
				t.Fatalf("no builder for kind %q", c.kind)
			}
			runLayerParity(t, c, build(t, c))
		})
	}
	// Every kind the task names must have fixtures.
	for _, k := range []string{"Conv2D", "DepthwiseConv2D", "Dense", "BatchNorm", "ReLU", "ReLU6", "LeakyReLU",
		"Sigmoid", "SiLU", "Hardswish", "Hardsigmoid", "Softmax", "MaxPool", "AvgPool", "GlobalAvgPool",
		"ZeroPad2d", "Flatten", "Dropout", "Add", "Mul", "Concat", "CrossEntropyLoss", "BCEWithLogitsLoss"} {
		if !kinds[k] {
			t.Errorf("no fixture of kind %s", k)
		}
	}
}

func loadParityCase(t *testing.T, path, name string) *parityCase {
	t.Helper()
	f, err := safetensors.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	c := &parityCase{name: name, kind: f.Metadata["kind"], file: f, used: map[string]bool{}}
	if err := json.Unmarshal([]byte(f.Metadata["config"]), &c.cfg); err != nil {
		t.Fatalf("%s: config: %v", path, err)
	}
	return c
}

// runLayerParity runs forward and backward and compares the output, every
// input and parameter gradient, and any updated state with the fixture.
func runLayerParity(t *testing.T, c *parityCase, pl parityLayer) {
	for name, p := range pl.params {
		loadInto(t, p, c.get(t, name))
	}
	for name, p := range pl.state {
		loadInto(t, p, c.get(t, name))
	}
	var xs []*tensor.Tensor
	var xNames []string
	if c.has("x") {
		xNames = []string{"x"}
	} else {
		for i := 0; c.has(fmt.Sprintf("x%d", i)); i++ {
			xNames = append(xNames, fmt.Sprintf("x%d", i))
		}
	}
	for _, n := range xNames {
		xs = append(xs, c.get(t, n).Clone())
	}
	y, err := pl.layer.Forward(xs, pl.training)
	if err != nil {
		t.Fatalf("forward: %v", err)
	}
	compareParity(t, "y", y, c.get(t, "y"))
	for name, p := range pl.state {
		compareParity(t, "after/"+name, p.Value, c.get(t, "after/"+name))
	}
	if !pl.training {
		// Graft keeps nothing for Backward after an inference Forward, so
		// only the forward pass is compared; the fixture's gradient must
		// then be the identity PyTorch computes for an eval-mode Dropout.
		compareParity(t, "grad/x (identity)", c.get(t, "dy"), c.get(t, "grad/x"))
		return
	}
	grads, err := pl.layer.Backward(c.get(t, "dy").Clone(), true)
	if err != nil {
		t.Fatalf("backward: %v", err)
	}
	if len(grads) != len(xNames) {
		t.Fatalf("backward returned %d input gradients, want %d", len(grads), len(xNames))
	}
	for i, n := range xNames {
		compareParity(t, "grad/"+n, grads[i], c.get(t, "grad/"+n))
	}
	for name, p := range pl.params {
		if p.Grad == nil {
			t.Errorf("grad/%s: no gradient", name)
			continue
		}
		compareParity(t, "grad/"+name, p.Grad, c.get(t, "grad/"+name))
	}
	for _, n := range c.file.Names() {
		if !c.used[n] {
			t.Errorf("fixture tensor %q was not checked", n)
		}
	}
}

// runLossParity compares a loss's value and its gradient with respect to
// the logits (PyTorch's for an upstream gradient of 1).
func runLossParity(t *testing.T, c *parityCase, l nn.Loss) {
	loss, err := l.Forward(c.get(t, "x").Clone(), c.get(t, "labels").Clone())
	if err != nil {
		t.Fatalf("forward: %v", err)
	}
	compareParity(t, "y", &tensor.Tensor{Shape: []int{}, Data: []float32{float32(loss)}}, c.get(t, "y"))
	g, err := l.Backward()
	if err != nil {
		t.Fatalf("backward: %v", err)
	}
	compareParity(t, "grad/x", g, c.get(t, "grad/x"))
	for _, n := range c.file.Names() {
		if !c.used[n] {
			t.Errorf("fixture tensor %q was not checked", n)
		}
	}
}

// loadInto copies a fixture tensor into a parameter of the same shape.
func loadInto(t *testing.T, p *nn.Param, src *tensor.Tensor) {
	t.Helper()
	if !tensor.SameShape(p.Value, src) {
		t.Fatalf("%s: layer has %v, fixture %v", p.Name, p.Value.Shape, src.Shape)
	}
	copy(p.Value.Data, src.Data)
}

// compareParity fails if got differs from want in shape or by more than
// parityTol in relative error.
func compareParity(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: nil, want %v", what, want.Shape)
		return
	}
	if !tensor.SameShape(got, want) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape, want.Shape)
		return
	}
	e, i := relErr(got.Data, want.Data)
	if e > parityTol || math.IsNaN(e) {
		t.Errorf("%s: relative error %.3g > %g (element %d: got %v, want %v)", what, e, parityTol, i, got.Data[i], want.Data[i])
		return
	}
	t.Logf("%s: relative error %.2g", what, e)
}

// relErr returns max|a-b| / max(max|b|, 1e-6) and the index of the largest
// difference.
func relErr(a, b []float32) (float64, int) {
	var diff, scale float64
	at := 0
	for i := range b {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if d > diff || math.IsNaN(d) {
			diff, at = d, i
		}
		scale = math.Max(scale, math.Abs(float64(b[i])))
	}
	return diff / math.Max(scale, 1e-6), at
}

func TestRelErr(t *testing.T) {
	if e, _ := relErr([]float32{1, 2, 4.001}, []float32{1, 2, 4}); math.Abs(e-0.00025) > 1e-7 {
		t.Errorf("relErr = %v, want 0.00025", e)
	}
	if e, i := relErr([]float32{0, 1e-7}, []float32{0, 0}); math.Abs(e-0.1) > 1e-6 || i != 1 {
		t.Errorf("relErr with zero reference = %v at %d, want 0.1 at 1", e, i)
	}
	if e, _ := relErr([]float32{float32(math.NaN())}, []float32{1}); !math.IsNaN(e) {
		t.Errorf("relErr of NaN = %v, want NaN", e)
	}
}

func padding(c *parityCase) nn.Padding {
	p := c.ints("padding")
	return nn.PadExplicit(p[0], p[1], p[2], p[3])
}

func buildConv2D(t *testing.T, c *parityCase) parityLayer {
	k := c.ints("kernel")
	l, err := nn.NewConv2D(c.name, nn.Conv2DConfig{
		InChannels: c.int("in_channels"), Filters: c.int("filters"), KernelH: k[0], KernelW: k[1],
		StrideH: c.int("stride"), StrideW: c.int("stride"), DilationH: c.int("dilation"), DilationW: c.int("dilation"),
		Padding: padding(c), Groups: c.int("groups"), NoBias: !c.bool("bias"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return withParams(l, map[string]*nn.Param{"kernel": l.Kernel, "bias": l.Bias})
}

func buildDepthwise(t *testing.T, c *parityCase) parityLayer {
	k := c.ints("kernel")
	l, err := nn.NewDepthwiseConv2D(c.name, nn.DepthwiseConv2DConfig{
		Channels: c.int("channels"), Multiplier: c.int("multiplier"), KernelH: k[0], KernelW: k[1],
		StrideH: c.int("stride"), StrideW: c.int("stride"), Padding: padding(c), NoBias: !c.bool("bias"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return withParams(l, map[string]*nn.Param{"kernel": l.Kernel, "bias": l.Bias})
}

func buildPool(t *testing.T, c *parityCase) parityLayer {
	k, p := c.ints("kernel"), c.int("padding")
	cfg := nn.Pool2DConfig{PoolH: k[0], PoolW: k[1], StrideH: c.int("stride"), StrideW: c.int("stride"),
		Padding: nn.PadSymmetric(p, p), CountIncludePad: c.bool("count_include_pad"), CeilMode: c.bool("ceil_mode")}
	var l nn.Layer
	var err error
	if c.kind == "MaxPool" {
		l, err = nn.NewMaxPool2D(c.name, cfg)
	} else {
		l, err = nn.NewAvgPool2D(c.name, cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return withParams(l, nil)
}

func buildDense(t *testing.T, c *parityCase) parityLayer {
	l, err := nn.NewDense(c.name, nn.DenseConfig{In: c.int("in"), Out: c.int("out"), NoBias: !c.bool("bias")})
	if err != nil {
		t.Fatal(err)
	}
	return withParams(l, map[string]*nn.Param{"kernel": l.Kernel, "bias": l.Bias})
}

// buildBatchNorm maps PyTorch's train mode to BNTrain and its eval mode to
// BNInference (running statistics, gamma and beta still learning); both run
// Forward with training true so that Backward has what it needs.
func buildBatchNorm(t *testing.T, c *parityCase) parityLayer {
	l, err := nn.NewBatchNorm(c.name, nn.BatchNormConfig{Channels: c.int("channels"), Convention: nn.BNPyTorch,
		Momentum: c.num("momentum"), Epsilon: c.num("epsilon")})
	if err != nil {
		t.Fatal(err)
	}
	if !c.bool("training") {
		l.SetMode(nn.BNInference)
	}
	pl := withParams(l, map[string]*nn.Param{"gamma": l.Gamma, "beta": l.Beta})
	pl.state = map[string]*nn.Param{"moving_mean": l.MovingMean, "moving_variance": l.MovingVariance}
	return pl
}

// noParams builds a layer without parameters.
func noParams(make func(*parityCase) nn.Layer) func(*testing.T, *parityCase) parityLayer {
	return func(_ *testing.T, c *parityCase) parityLayer {
		return withParams(make(c), nil)
	}
}

// withParams drops absent (nil) parameters and trains.
func withParams(l nn.Layer, ps map[string]*nn.Param) parityLayer {
	pl := parityLayer{layer: l, params: map[string]*nn.Param{}, training: true}
	for k, p := range ps {
		if p != nil {
			pl.params[k] = p
		}
	}
	return pl
}

// TestParityFixturesCoverParams makes sure no builder silently drops a
// parameter that a fixture carries: every layer parameter is compared.
func TestParityFixturesCoverParams(t *testing.T) {
	c := loadParityCase(t, "testdata/parity/conv_3x3_groups2.safetensors", "conv_3x3_groups2")
	pl := buildConv2D(t, c)
	var names []string
	for k := range pl.params {
		names = append(names, k)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"bias", "kernel"}) || len(pl.layer.Params()) != 2 {
		t.Fatalf("conv parameters %v / %d", names, len(pl.layer.Params()))
	}
}

// TestBatchNormFrozenMatchesPyTorchEval runs the eval-mode fixture with a
// frozen BatchNorm: the same output and input gradient, no gradient for
// gamma and beta, and running statistics left alone.
func TestBatchNormFrozenMatchesPyTorchEval(t *testing.T) {
	c := loadParityCase(t, "testdata/parity/batchnorm_eval.safetensors", "batchnorm_eval")
	pl := buildBatchNorm(t, c)
	bn := pl.layer.(*nn.BatchNorm)
	bn.SetFrozen(true)
	for name, p := range pl.params {
		loadInto(t, p, c.get(t, name))
	}
	for name, p := range pl.state {
		loadInto(t, p, c.get(t, name))
	}
	y, err := bn.Forward([]*tensor.Tensor{c.get(t, "x").Clone()}, true)
	if err != nil {
		t.Fatal(err)
	}
	compareParity(t, "y", y, c.get(t, "y"))
	grads, err := bn.Backward(c.get(t, "dy").Clone(), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(grads) != 1 {
		t.Fatalf("%d input gradients", len(grads))
	}
	compareParity(t, "grad/x", grads[0], c.get(t, "grad/x"))
	for _, p := range bn.Params() {
		if p.Trainable || p.Grad != nil {
			t.Errorf("%s: trainable %v, gradient %v in a frozen BatchNorm", p.Name, p.Trainable, p.Grad)
		}
	}
	compareParity(t, "moving_mean", bn.MovingMean.Value, c.get(t, "after/moving_mean"))
	compareParity(t, "moving_variance", bn.MovingVariance.Value, c.get(t, "after/moving_variance"))
}
