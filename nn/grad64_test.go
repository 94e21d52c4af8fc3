package nn

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graft-ml/graft/compute"
	"github.com/graft-ml/graft/internal/gradcheck"
	"github.com/graft-ml/graft/tensor"
)

// The float64 gradient checks. checkLayerGrads (gradcheck_test.go) takes its
// differences through the float32 Forward, whose rounding forces a large step
// and loose tolerances that could hide a gradient wrong by 1e-3. Here every
// layer and loss has a float64 reference forward (grad64_ref_test.go), and
// internal/gradcheck runs the two checks (its step and tolerances are
// explained there):
//
//  1. the reference must agree with the layer's float32 Forward on the same
//     inputs (so it is the right function), and
//  2. central differences of the reference, in float64 with a tiny step,
//     give the gradient with respect to every input and parameter element,
//     which the layer's float32 Backward must match.

// toT64 converts a float32 tensor to float64, exactly.
func toT64(x *tensor.Tensor) t64 {
	t := gradcheck.To64(x)
	return t64{shape: t.Shape, d: t.Data}
}

// grad64Case is one layer on fixed inputs with its float64 reference.
type grad64Case struct {
	name   string
	layer  Layer
	inputs []*tensor.Tensor
	// ref computes the output from the inputs and the values of
	// layer.Params(), in order, all in float64.
	ref func(x []t64, p [][]float64) t64
	// before, when set, runs before the layer's Forward (to fix a random mask).
	before func()
	// maxChecks, when positive, bounds the elements checked per tensor
	// (a fixed random sample); zero checks every element.
	maxChecks int
}

// gradcheckParams describes ps to the checker.
func gradcheckParams(ps []*Param) []gradcheck.Param {
	out := make([]gradcheck.Param, len(ps))
	for j, p := range ps {
		out[j] = gradcheck.Param{Name: p.Name, Value: p.Value, Grad: &p.Grad, Trainable: p.Trainable}
	}
	return out
}

// gc converts c to the checker's case; the reference shares the checker's
// slices, so its perturbations reach c.ref.
func (c grad64Case) gc() gradcheck.Case {
	ref := c.ref
	return gradcheck.Case{Name: c.name, Layer: c.layer, Inputs: c.inputs, Params: gradcheckParams(c.layer.Params()),
		Before: c.before, MaxChecks: c.maxChecks,
		Ref: func(x []gradcheck.T64, p [][]float64) gradcheck.T64 {
			xs := make([]t64, len(x))
			for k, v := range x {
				xs[k] = t64{shape: v.Shape, d: v.Data}
			}
			y := ref(xs, p)
			return gradcheck.T64{Shape: y.shape, Data: y.d}
		}}
}

// checkGrad64 runs the cases as subtests and logs each one's worst errors.
func checkGrad64(t *testing.T, cases []grad64Case) {
	t.Helper()
	gcs := make([]gradcheck.Case, len(cases))
	for i, c := range cases {
		gcs[i] = c.gc()
	}
	gradcheck.Check(t, gcs)
}

// avoiding returns uniform values in [lo, hi) that are at least gap away
// from every kink, so that no finite-difference step crosses one.
func avoiding(seed uint64, lo, hi float64, kinks []float64, gap float64, shape ...int) *tensor.Tensor {
	return gradcheck.Avoiding(seed, lo, hi, kinks, gap, shape...)
}

// randomize fills a parameter with seeded values in [lo, hi).
func randomize(p *Param, seed uint64, lo, hi float64) {
	copy(p.Value.Data, randTensor(seed, lo, hi, p.Value.Shape...).Data)
}

// or1 reads a zero stride, dilation or group count as 1, as the configs say.
func or1(v int) int { return max(v, 1) }

// convGrad64 builds a Conv2D case.
func convGrad64(name string, in []int, c Conv2DConfig, seed uint64) grad64Case {
	c.InChannels = in[3]
	l := must(NewConv2D(name, c))
	rc := convRef{kh: c.KernelH, kw: c.KernelW, sh: or1(c.StrideH), sw: or1(c.StrideW), dh: or1(c.DilationH),
		dw: or1(c.DilationW), groups: or1(c.Groups), outC: c.Filters}
	return convCase(l, rc, c.Padding, in, seed)
}

// depthwiseGrad64 builds a DepthwiseConv2D case.
func depthwiseGrad64(name string, in []int, c DepthwiseConv2DConfig, seed uint64) grad64Case {
	c.Channels = in[3]
	l := must(NewDepthwiseConv2D(name, c))
	rc := convRef{kh: c.KernelH, kw: c.KernelW, sh: or1(c.StrideH), sw: or1(c.StrideW), dh: or1(c.DilationH),
		dw: or1(c.DilationW), groups: c.Channels, outC: c.Channels * or1(c.Multiplier)}
	return convCase(l, rc, c.Padding, in, seed)
}

// convCase completes rc with the padding for input shape in and returns
// the case of convolution l with random weights and bias on a random input.
func convCase(l Layer, rc convRef, pad Padding, in []int, seed uint64) grad64Case {
	for j, p := range l.Params() {
		randomize(p, seed+1+uint64(j), -1, 1)
	}
	rc.top, rc.bottom, rc.left, rc.right = pad.Top, pad.Bottom, pad.Left, pad.Right
	if pad.Same {
		rc.top, rc.bottom = tfSame(in[1], rc.kh, rc.sh, rc.dh)
		rc.left, rc.right = tfSame(in[2], rc.kw, rc.sw, rc.dw)
	}
	return grad64Case{name: l.Name(), layer: l, inputs: []*tensor.Tensor{randTensor(seed, -1, 1, in...)},
		ref: func(x []t64, p [][]float64) t64 {
			var bias []float64
			if len(p) > 1 {
				bias = p[1]
			}
			return refConv(x[0], p[0], bias, rc)
		}}
}

func TestGrad64Conv(t *testing.T) {
	odd := []int{2, 7, 5, 3} // batch 2, 7x5 maps, 3 channels
	checkGrad64(t, []grad64Case{
		convGrad64("valid_3x2", odd, Conv2DConfig{Filters: 4, KernelH: 3, KernelW: 2}, 1),
		convGrad64("stride2x1_explicit_pad", odd, Conv2DConfig{Filters: 4, KernelH: 3, KernelW: 2, StrideH: 2, StrideW: 1,
			Padding: PadExplicit(1, 2, 0, 1)}, 2),
		convGrad64("dilated_2x3", odd, Conv2DConfig{Filters: 2, KernelH: 3, KernelW: 2, DilationH: 2, DilationW: 3,
			Padding: PadSymmetric(1, 2)}, 3),
		convGrad64("same_stride2", odd, Conv2DConfig{Filters: 5, KernelH: 3, KernelW: 2, StrideH: 2, StrideW: 2,
			Padding: PadSame()}, 4),
		convGrad64("same_dilated_stride3x2_nobias", odd, Conv2DConfig{Filters: 3, KernelH: 2, KernelW: 3, StrideH: 3, StrideW: 2,
			DilationH: 2, Padding: PadSame(), NoBias: true}, 5),
		convGrad64("grouped_3", []int{2, 5, 7, 6}, Conv2DConfig{Filters: 9, KernelH: 3, KernelW: 3, Groups: 3, StrideH: 2,
			Padding: PadSame()}, 6),
		convGrad64("grouped_2_dilated", []int{3, 6, 5, 4}, Conv2DConfig{Filters: 6, KernelH: 2, KernelW: 3, Groups: 2,
			DilationW: 2, Padding: PadExplicit(0, 1, 2, 1)}, 7),
		convGrad64("groups_eq_channels_mult2", odd, Conv2DConfig{Filters: 6, KernelH: 3, KernelW: 3, Groups: 3, StrideW: 2,
			Padding: PadSymmetric(1, 1)}, 8),
		convGrad64("pointwise", odd, Conv2DConfig{Filters: 4, KernelH: 1, KernelW: 1}, 9),
		convGrad64("pointwise_stride2", odd, Conv2DConfig{Filters: 5, KernelH: 1, KernelW: 1, StrideH: 2, StrideW: 2}, 10),
		depthwiseGrad64("depthwise", odd, DepthwiseConv2DConfig{KernelH: 3, KernelW: 3, Padding: PadSame()}, 11),
		depthwiseGrad64("depthwise_mult2_stride2", odd, DepthwiseConv2DConfig{Multiplier: 2, KernelH: 3, KernelW: 2,
			StrideH: 2, StrideW: 2, Padding: PadSame()}, 12),
		depthwiseGrad64("depthwise_dilated_nobias", []int{3, 7, 6, 5}, DepthwiseConv2DConfig{KernelH: 2, KernelW: 3,
			DilationH: 3, DilationW: 2, Padding: PadExplicit(2, 1, 0, 2), NoBias: true}, 13),
	})
}

// TestGrad64ConvKernelPaths checks, under every GEMM micro-kernel this
// machine has, the convolutions that the small cases do not route through
// compute's specialised kernels: the direct forward and filter gradient
// (KW*InC >= 32, stride 1), the pointwise filter gradient and the chunked
// filter segments (256 input channels). The tensors are larger, so a fixed
// sample of each tensor's elements is differenced.
func TestGrad64ConvKernelPaths(t *testing.T) {
	for _, kern := range compute.GemmKernelNames() {
		t.Run(kern, func(t *testing.T) {
			restore, err := compute.SetGemmKernel(kern)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			cases := []grad64Case{
				convGrad64("direct_3x3_16ch", []int{2, 6, 14, 16}, Conv2DConfig{Filters: 8, KernelH: 3, KernelW: 3,
					Padding: PadSymmetric(1, 1)}, 21),
				convGrad64("direct_same_3x2_32ch", []int{2, 5, 9, 32}, Conv2DConfig{Filters: 6, KernelH: 3, KernelW: 2,
					Padding: PadSame()}, 22),
				convGrad64("pointwise_32ch", []int{2, 5, 7, 32}, Conv2DConfig{Filters: 24, KernelH: 1, KernelW: 1}, 23),
				convGrad64("segments_256ch", []int{1, 4, 5, 256}, Conv2DConfig{Filters: 4, KernelH: 3, KernelW: 3,
					Padding: PadSymmetric(1, 1)}, 24),
				convGrad64("grouped_2_32ch_stride2", []int{2, 7, 9, 32}, Conv2DConfig{Filters: 16, KernelH: 3, KernelW: 3,
					Groups: 2, StrideH: 2, StrideW: 2, Padding: PadSame()}, 25),
			}
			for i := range cases {
				cases[i].maxChecks = 48
			}
			checkGrad64(t, cases)
		})
	}
}

func TestGrad64Dense(t *testing.T) {
	withBias := must(NewDense("dense", DenseConfig{In: 7, Out: 5}))
	noBias := must(NewDense("dense_nobias_rank3", DenseConfig{In: 4, Out: 3, NoBias: true}))
	var cases []grad64Case
	for i, c := range []struct {
		l  *Dense
		in []int
	}{{withBias, []int{3, 7}}, {noBias, []int{2, 3, 4}}} {
		l := c.l
		for j, p := range l.Params() {
			randomize(p, uint64(10*i+j), -1, 1)
		}
		cases = append(cases, grad64Case{name: l.name, layer: l, inputs: []*tensor.Tensor{randTensor(uint64(i), -1, 1, c.in...)},
			ref: func(x []t64, p [][]float64) t64 {
				var bias []float64
				if len(p) > 1 {
					bias = p[1]
				}
				return refDense(x[0], p[0], bias, l.out)
			}})
	}
	checkGrad64(t, cases)
}

func TestGrad64BatchNorm(t *testing.T) {
	type bnCase struct {
		name             string
		mode             BNMode
		cfg              BatchNormConfig
		in               []int
		batchStatsInPass bool
	}
	var cases []grad64Case
	for i, c := range []bnCase{
		{"train_keras_nhwc", BNTrain, BatchNormConfig{Channels: 3}, []int{2, 3, 5, 3}, true},
		{"train_torch_rank2", BNTrain, BatchNormConfig{Channels: 4, Convention: BNPyTorch}, []int{5, 4}, true},
		{"train_noscale", BNTrain, BatchNormConfig{Channels: 3, NoScale: true}, []int{3, 2, 3, 3}, true},
		{"train_nocenter_eps0.1", BNTrain, BatchNormConfig{Channels: 2, NoCenter: true, Epsilon: 0.1}, []int{2, 3, 3, 2}, true},
		{"inference", BNInference, BatchNormConfig{Channels: 3}, []int{2, 3, 5, 3}, false},
		{"frozen", BNFrozen, BatchNormConfig{Channels: 3, Convention: BNPyTorch}, []int{2, 5, 3, 3}, false},
	} {
		b := must(NewBatchNorm(c.name, c.cfg))
		for j, p := range b.Params() {
			randomize(p, uint64(10*i+j), 0.5, 1.5)
		}
		randomize(b.MovingMean, uint64(10*i+5), -0.5, 0.5)
		randomize(b.MovingVariance, uint64(10*i+6), 0.5, 2)
		b.SetMode(c.mode)
		runMean, runVar := toT64(b.MovingMean.Value).d, toT64(b.MovingVariance.Value).d
		x := randTensor(uint64(i), -2, 2, c.in...)
		for k := range x.Data {
			x.Data[k] += float32(k%c.cfg.Channels) * 0.7 // per-channel offsets
		}
		batch, eps := c.batchStatsInPass, b.epsilon
		cases = append(cases, grad64Case{name: c.name, layer: b, inputs: []*tensor.Tensor{x},
			ref: func(x []t64, p [][]float64) t64 {
				var gamma, beta []float64
				if b.Gamma != nil {
					gamma, p = p[0], p[1:]
				}
				if b.Beta != nil {
					beta = p[0]
				}
				return refBatchNorm(x[0], gamma, beta, batch, runMean, runVar, eps)
			}})
	}
	checkGrad64(t, cases)
}

func TestGrad64Activations(t *testing.T) {
	shape := []int{2, 3, 5, 3}
	elementwise := func(l Layer, f func(float64) float64, x *tensor.Tensor) grad64Case {
		return grad64Case{name: l.Name(), layer: l, inputs: []*tensor.Tensor{x},
			ref: func(x []t64, _ [][]float64) t64 { return refElementwise(x[0], f) }}
	}
	const gap = 0.05 // far beyond the 1e-6 step from every kink
	checkGrad64(t, []grad64Case{
		elementwise(NewReLU("relu"), reluRef, avoiding(1, -3, 3, []float64{0}, gap, shape...)),
		elementwise(NewReLU6("relu6"), relu6Ref, avoiding(2, -2, 8, []float64{0, 6}, gap, shape...)),
		elementwise(NewLeakyReLU("leaky_relu_0.2", 0.2), leakyReLURef(0.2), avoiding(3, -3, 3, []float64{0}, gap, shape...)),
		elementwise(NewLeakyReLU("leaky_relu_0", 0), leakyReLURef(0), avoiding(4, -3, 3, []float64{0}, gap, shape...)),
		elementwise(NewLeakyReLU("leaky_relu_-0.5", -0.5), leakyReLURef(-0.5), avoiding(5, -3, 3, []float64{0}, gap, shape...)),
		elementwise(NewSigmoid("sigmoid"), sigmoidRef, randTensor(6, -5, 5, shape...)),
		elementwise(NewSwish("swish"), swishRef, randTensor(7, -5, 5, shape...)),
		elementwise(NewHardSwish("hard_swish"), hardSwishRef, avoiding(8, -5, 5, []float64{-3, 3}, gap, shape...)),
		elementwise(NewHardSigmoid("hard_sigmoid_torch", HardSigmoidTorch, 0.5), hardSigmoidRef(1.0/6, 0.5),
			avoiding(9, -5, 5, []float64{-3, 3}, gap, shape...)),
		elementwise(NewHardSigmoid("hard_sigmoid_keras", 0.2, 0.5), hardSigmoidRef(0.2, 0.5),
			avoiding(10, -4, 4, []float64{-2.5, 2.5}, gap, shape...)),
		{name: "softmax_rank3", layer: NewSoftmax("softmax"), inputs: []*tensor.Tensor{randTensor(11, -3, 3, 3, 2, 5)},
			ref: func(x []t64, _ [][]float64) t64 { return refSoftmax(x[0]) }},
		{name: "softmax_rank2_one_class", layer: NewSoftmax("softmax"), inputs: []*tensor.Tensor{randTensor(12, -3, 3, 4, 1)},
			ref: func(x []t64, _ [][]float64) t64 { return refSoftmax(x[0]) }},
	})
}

// poolGrad64 builds a MaxPool2D or AvgPool2D case on x.
func poolGrad64(name string, takeMax bool, c Pool2DConfig, x *tensor.Tensor) grad64Case {
	var l Layer
	if takeMax {
		l = must(NewMaxPool2D(name, c))
	} else {
		l = must(NewAvgPool2D(name, c))
	}
	sh, sw := c.StrideH, c.StrideW
	if sh == 0 {
		sh = c.PoolH
	}
	if sw == 0 {
		sw = c.PoolW
	}
	rc := poolRef{kh: c.PoolH, kw: c.PoolW, sh: sh, sw: sw, ceil: c.CeilMode, max: takeMax, includePad: c.CountIncludePad,
		top: c.Padding.Top, bottom: c.Padding.Bottom, left: c.Padding.Left, right: c.Padding.Right}
	if c.Padding.Same {
		rc.top, rc.bottom = tfSame(x.Shape[1], c.PoolH, sh, 1)
		rc.left, rc.right = tfSame(x.Shape[2], c.PoolW, sw, 1)
	}
	return grad64Case{name: name, layer: l, inputs: []*tensor.Tensor{x},
		ref: func(x []t64, _ [][]float64) t64 { return refPool(x[0], rc) }}
}

func TestGrad64Pooling(t *testing.T) {
	// Max pooling gets distinct values 0.05 apart: one winner per window,
	// far beyond the step.
	distinct := func(seed uint64) *tensor.Tensor { return distinctValues(seed, 0.05, 2, 7, 5, 3) }
	uniform := func(seed uint64) *tensor.Tensor { return randTensor(seed, -1, 1, 2, 7, 5, 3) }
	cases := []grad64Case{
		poolGrad64("max_2x2", true, Pool2DConfig{PoolH: 2, PoolW: 2}, distinct(1)),
		poolGrad64("max_3x3_s2_pad1", true, Pool2DConfig{PoolH: 3, PoolW: 3, StrideH: 2, StrideW: 2, Padding: PadSymmetric(1, 1)}, distinct(2)),
		poolGrad64("max_3x2_same", true, Pool2DConfig{PoolH: 3, PoolW: 2, StrideH: 2, StrideW: 1, Padding: PadSame()}, distinct(3)),
		poolGrad64("max_3x3_s2_ceil", true, Pool2DConfig{PoolH: 3, PoolW: 3, StrideH: 2, StrideW: 2, CeilMode: true}, distinct(4)),
		poolGrad64("max_2x3_s1x2_explicit", true, Pool2DConfig{PoolH: 2, PoolW: 3, StrideH: 1, StrideW: 2, Padding: PadExplicit(1, 0, 1, 1)}, distinct(5)),
		poolGrad64("avg_2x2", false, Pool2DConfig{PoolH: 2, PoolW: 2}, uniform(6)),
		poolGrad64("avg_3x3_s2_pad1_include_pad", false, Pool2DConfig{PoolH: 3, PoolW: 3, StrideH: 2, StrideW: 2,
			Padding: PadSymmetric(1, 1), CountIncludePad: true}, uniform(7)),
		poolGrad64("avg_3x3_s2_pad1_exclude_pad", false, Pool2DConfig{PoolH: 3, PoolW: 3, StrideH: 2, StrideW: 2,
			Padding: PadSymmetric(1, 1)}, uniform(8)),
		poolGrad64("avg_3x2_same_exclude_pad", false, Pool2DConfig{PoolH: 3, PoolW: 2, StrideH: 2, StrideW: 1, Padding: PadSame()}, uniform(9)),
		poolGrad64("avg_3x2_same_include_pad", false, Pool2DConfig{PoolH: 3, PoolW: 2, StrideH: 2, StrideW: 2, Padding: PadSame(),
			CountIncludePad: true}, uniform(10)),
		poolGrad64("avg_3x3_s2_pad1_ceil_include_pad", false, Pool2DConfig{PoolH: 3, PoolW: 3, StrideH: 2, StrideW: 2,
			Padding: PadSymmetric(1, 1), CeilMode: true, CountIncludePad: true}, uniform(11)),
		poolGrad64("avg_2x2_ceil_exclude_pad", false, Pool2DConfig{PoolH: 2, PoolW: 2, CeilMode: true}, uniform(12)),
	}
	for _, keep := range []bool{false, true} {
		cases = append(cases,
			grad64Case{name: fmt.Sprintf("global_avg_keepdims_%v", keep), layer: NewGlobalAvgPool("gap", keep),
				inputs: []*tensor.Tensor{uniform(13)},
				ref:    func(x []t64, _ [][]float64) t64 { return refGlobalPool(x[0], false, keep) }},
			grad64Case{name: fmt.Sprintf("global_max_keepdims_%v", keep), layer: NewGlobalMaxPool("gmp", keep),
				inputs: []*tensor.Tensor{distinct(14)},
				ref:    func(x []t64, _ [][]float64) t64 { return refGlobalPool(x[0], true, keep) }})
	}
	checkGrad64(t, cases)
}

func TestGrad64Shape(t *testing.T) {
	x := randTensor(1, -1, 1, 2, 7, 5, 3)
	reshaped := func(shape ...int) func([]t64, [][]float64) t64 {
		return func(x []t64, _ [][]float64) t64 {
			return t64{shape: append([]int{x[0].shape[0]}, shape...), d: append([]float64(nil), x[0].d...)}
		}
	}
	drop := must(NewDropout("dropout_0.3", 0.3, 5))
	// The mask is the output for ones under the seed the checked Forward uses.
	ones := tensor.New(x.Shape...)
	for i := range ones.Data {
		ones.Data[i] = 1
	}
	drop.Reseed(7)
	mask := toT64(must(drop.Forward([]*tensor.Tensor{ones}, true))).d
	drop.Release()
	checkGrad64(t, []grad64Case{
		{name: "zero_padding", layer: must(NewZeroPadding2D("zp", 1, 2, 0, 3)), inputs: []*tensor.Tensor{x},
			ref: func(x []t64, _ [][]float64) t64 { return refZeroPad(x[0], 1, 2, 0, 3) }},
		{name: "flatten", layer: NewFlatten("flatten"), inputs: []*tensor.Tensor{x}, ref: reshaped(7 * 5 * 3)},
		{name: "reshape", layer: NewReshape("reshape", 5, -1, 7), inputs: []*tensor.Tensor{x}, ref: reshaped(5, 3, 7)},
		{name: "dropout_fixed_mask", layer: drop, inputs: []*tensor.Tensor{x}, before: func() { drop.Reseed(7) },
			ref: func(x []t64, _ [][]float64) t64 {
				y := newT64(x[0].shape...)
				for i, v := range x[0].d {
					y.d[i] = v * mask[i]
				}
				return y
			}},
		{name: "dropout_rate_0", layer: must(NewDropout("dropout_0", 0, 5)), inputs: []*tensor.Tensor{x}, ref: reshaped(7, 5, 3)},
	})
}

func TestGrad64Merge(t *testing.T) {
	x := func(seed uint64, shape ...int) *tensor.Tensor { return randTensor(seed, -2, 2, shape...) }
	sum := func(x []t64, _ [][]float64) t64 {
		y := newT64(x[0].shape...)
		for _, xi := range x {
			for i, v := range xi.d {
				y.d[i] += v
			}
		}
		return y
	}
	product := func(x []t64, _ [][]float64) t64 { return refMultiply(x[0], x[1]) }
	concat := func(x []t64, _ [][]float64) t64 { return refConcat(x) }
	checkGrad64(t, []grad64Case{
		{name: "add_2", layer: NewAdd("add"), inputs: []*tensor.Tensor{x(1, 2, 7, 5, 3), x(2, 2, 7, 5, 3)}, ref: sum},
		{name: "add_3_rank2", layer: NewAdd("add"), inputs: []*tensor.Tensor{x(3, 3, 5), x(4, 3, 5), x(5, 3, 5)}, ref: sum},
		{name: "multiply_same", layer: NewMultiply("mul"), inputs: []*tensor.Tensor{x(6, 2, 3, 5, 3), x(7, 2, 3, 5, 3)}, ref: product},
		{name: "multiply_se_nc", layer: NewMultiply("mul"), inputs: []*tensor.Tensor{x(8, 2, 7, 5, 3), x(9, 2, 3)}, ref: product},
		{name: "multiply_se_n11c_first", layer: NewMultiply("mul"), inputs: []*tensor.Tensor{x(10, 3, 1, 1, 4), x(11, 3, 5, 3, 4)},
			ref: product},
		{name: "concat_3_nhwc", layer: NewConcat("concat"), inputs: []*tensor.Tensor{x(12, 2, 3, 5, 2), x(13, 2, 3, 5, 5), x(14, 2, 3, 5, 1)},
			ref: concat},
		{name: "concat_2_rank2", layer: NewConcat("concat"), inputs: []*tensor.Tensor{x(15, 3, 4), x(16, 3, 3)}, ref: concat},
	})
}

// checkLoss64 runs both checks on a loss: its value against the float64
// reference, and its gradient against central differences of the reference.
func checkLoss64(t *testing.T, name string, l Loss, logits, labels *tensor.Tensor, ref func(logits t64) float64) {
	t.Run(name, func(t *testing.T) {
		got, err := l.Forward(logits, labels)
		if err != nil {
			t.Fatal(err)
		}
		x := toT64(logits)
		want := ref(x)
		fwdErr := math.Abs(got-want) / math.Max(math.Abs(want), 1e-30)
		if !(fwdErr <= gradcheck.ForwardTol) {
			t.Errorf("loss %.9g, reference %.9g (relative error %.3g)", got, want, fwdErr)
		}
		g, err := l.Backward()
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.SameShape(g, logits) {
			t.Fatalf("gradient %v for logits %v", g.Shape, logits.Shape)
		}
		var rep gradcheck.Report
		rep.Compare("logits", g.Data, x.d, func() float64 { return ref(x) }, 0)
		for _, p := range rep.Problems {
			t.Error(p)
		}
		t.Logf("loss rel err %.2g, gradient rel err %.2g", fwdErr, rep.GradErr)
	})
}

func TestGrad64Losses(t *testing.T) {
	const n, c = 4, 5
	logits := randTensor(1, -3, 3, n, c)
	classes := []int{2, 0, 4, 2}
	sparse := tensor.New(n)
	oneHot := tensor.New(n, c)
	for i, k := range classes {
		sparse.Data[i] = float32(k)
		oneHot.Data[i*c+k] = 1
	}
	probs := randTensor(2, 0, 1, n, c)
	for i := 0; i < n; i++ {
		row := probs.Data[i*c : (i+1)*c]
		var s float32
		for _, v := range row {
			s += v
		}
		for k := range row {
			row[k] /= s
		}
	}
	weights := []float32{0.5, 2, 1, 0.25, 3}
	weights64 := toT64(must(tensor.FromData(weights, c))).d
	for _, v := range []struct {
		name    string
		labels  *tensor.Tensor
		eps     float64
		weights bool
	}{
		{"ce_integer", sparse, 0, false},
		{"ce_one_hot", oneHot, 0, false},
		{"ce_probabilities", probs, 0, false},
		{"ce_integer_smoothing", sparse, 0.1, false},
		{"ce_one_hot_smoothing", oneHot, 0.2, false},
		{"ce_integer_class_weights", sparse, 0, true},
		{"ce_integer_smoothing_class_weights", sparse, 0.15, true},
		{"ce_one_hot_smoothing_class_weights", oneHot, 0.1, true},
	} {
		cfg := CrossEntropyConfig{LabelSmoothing: v.eps}
		var w []float64
		if v.weights {
			cfg.ClassWeights, w = weights, weights64
		}
		var probs64 []float64
		if v.labels.Rank() == 2 {
			probs64 = toT64(v.labels).d
		}
		eps := v.eps
		checkLoss64(t, v.name, must(NewSoftmaxCrossEntropy(cfg)), logits, v.labels, func(x t64) float64 {
			return refCrossEntropy(x, classes, probs64, eps, w)
		})
	}
	bceLogits := randTensor(3, -4, 4, 3, 2, 4)
	targets := randTensor(4, 0, 1, 3, 2, 4)
	for i := 0; i < len(targets.Data); i += 3 {
		targets.Data[i] = float32(i / 3 % 2) // some hard 0/1 targets
	}
	posWeight := []float32{2, 0.5, 1, 3}
	y := toT64(targets)
	checkLoss64(t, "bce", NewBinaryCrossEntropy(nil), bceLogits, targets, func(x t64) float64 {
		return refBinaryCrossEntropy(x, y, nil)
	})
	pw := toT64(must(tensor.FromData(posWeight, 4))).d
	checkLoss64(t, "bce_pos_weight", NewBinaryCrossEntropy(posWeight), bceLogits, targets, func(x t64) float64 {
		return refBinaryCrossEntropy(x, y, pw)
	})
}

// TestGrad64CatchesSmallErrors makes sure the checks can fail: a gradient
// off by 0.1% (scaled by 1.001), on the kernel, the bias or the input, and
// a reference forward off by 1e-4, are all reported.
func TestGrad64CatchesSmallErrors(t *testing.T) {
	gradcheck.ExpectCaught(t, func() gradcheck.Case {
		return convGrad64("conv", []int{2, 7, 5, 3}, Conv2DConfig{Filters: 4, KernelH: 3, KernelW: 2, StrideH: 2,
			Padding: PadSame()}, 1).gc()
	})
}

// grad64Covered names every layer and loss type of package nn and the test
// that checks it against its float64 reference.
var grad64Covered = map[string]string{
	"Conv2D":              "TestGrad64Conv",
	"DepthwiseConv2D":     "TestGrad64Conv",
	"Dense":               "TestGrad64Dense",
	"BatchNorm":           "TestGrad64BatchNorm",
	"Activation":          "TestGrad64Activations",
	"Softmax":             "TestGrad64Activations",
	"MaxPool2D":           "TestGrad64Pooling",
	"AvgPool2D":           "TestGrad64Pooling",
	"GlobalPool":          "TestGrad64Pooling",
	"ZeroPadding2D":       "TestGrad64Shape",
	"Reshape":             "TestGrad64Shape",
	"Dropout":             "TestGrad64Shape",
	"Add":                 "TestGrad64Merge",
	"Multiply":            "TestGrad64Merge",
	"Concat":              "TestGrad64Merge",
	"SoftmaxCrossEntropy": "TestGrad64Losses",
	"BinaryCrossEntropy":  "TestGrad64Losses",
}

// TestGrad64CoversEveryLayer reads the package's source and fails when an
// exported type has a Layer's or a Loss's Forward and Backward (declared on
// it or on a struct it embeds) but no float64 gradient check.
func TestGrad64CoversEveryLayer(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string]map[string]int{} // type -> method -> parameter count
	embeds := map[string][]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch d := n.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil || len(d.Recv.List) != 1 {
					return false
				}
				recv := d.Recv.List[0].Type
				if star, ok := recv.(*ast.StarExpr); ok {
					recv = star.X
				}
				if id, ok := recv.(*ast.Ident); ok {
					if methods[id.Name] == nil {
						methods[id.Name] = map[string]int{}
					}
					methods[id.Name][d.Name.Name] = d.Type.Params.NumFields()
				}
				return false
			case *ast.TypeSpec:
				if st, ok := d.Type.(*ast.StructType); ok {
					for _, fl := range st.Fields.List {
						if id, ok := fl.Type.(*ast.Ident); ok && len(fl.Names) == 0 {
							embeds[d.Name.Name] = append(embeds[d.Name.Name], id.Name)
						}
					}
				}
			}
			return true
		})
	}
	// backward returns the parameter count of typ's Backward, promoted
	// through embedded structs; -1 when it has none.
	var backward func(typ string) int
	backward = func(typ string) int {
		if n, ok := methods[typ]["Backward"]; ok {
			return n
		}
		for _, e := range embeds[typ] {
			if n := backward(e); n >= 0 {
				return n
			}
		}
		return -1
	}
	found := map[string]bool{}
	types := map[string]bool{}
	for typ := range methods {
		types[typ] = true
	}
	for typ := range embeds {
		types[typ] = true
	}
	for typ := range types {
		// Layer.Backward(gradOut, needInputGrad) or Loss.Backward(); the
		// Graph runs layers but is not one.
		if n := backward(typ); ast.IsExported(typ) && typ != "Graph" && (n == 2 || n == 0) {
			found[typ] = true
			if grad64Covered[typ] == "" {
				t.Errorf("%s has a Backward but no float64 gradient check: add cases and list it in grad64Covered", typ)
			}
		}
	}
	for typ := range grad64Covered {
		if !found[typ] {
			t.Errorf("grad64Covered lists %s, which the source scan did not find as a layer or loss", typ)
		}
	}
}
