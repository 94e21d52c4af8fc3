package nn

import (
	"math"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

func TestActivationGradients(t *testing.T) {
	layers := []*Activation{
		NewReLU("relu"), NewReLU6("relu6"), NewLeakyReLU("leaky", 0.2), NewLeakyReLU("leaky_neg", -0.5),
		NewSigmoid("sigmoid"), NewSwish("swish"), NewHardSwish("hswish"),
		NewHardSigmoid("hsig_torch", HardSigmoidTorch, 0.5), NewHardSigmoid("hsig_keras", 0.2, 0.5),
	}
	for _, l := range layers {
		// Values in ±[0.05, 8] cross the ReLU6 and hard-sigmoid kinks at 0, ±2.5,
		// ±3 and 6 only by chance; nudge any within a step of a kink away.
		x := awayFromZero(1, 0.05, 8, 2, 3, 4, 5)
		for i, v := range x.Data {
			for _, k := range []float32{-3, -2.5, 2.5, 3, 6} {
				if d := v - k; d > -0.03 && d < 0.03 {
					x.Data[i] = k + 0.05
				}
			}
		}
		checkLayerGrads(t, l, []*tensor.Tensor{x}, defaultGradCase())
	}
}

func TestActivationValues(t *testing.T) {
	x, _ := tensor.FromData([]float32{-4, -1, 0, 1, 7}, 5)
	cases := []struct {
		l    *Activation
		want func(float64) float64
	}{
		{NewReLU("a"), func(v float64) float64 { return math.Max(v, 0) }},
		{NewReLU6("a"), func(v float64) float64 { return math.Min(math.Max(v, 0), 6) }},
		{NewLeakyReLU("a", 0.1), func(v float64) float64 { return map[bool]float64{true: v, false: 0.1 * v}[v > 0] }},
		{NewSigmoid("a"), func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{NewSwish("a"), func(v float64) float64 { return v / (1 + math.Exp(-v)) }},
		{NewHardSwish("a"), func(v float64) float64 { return v * math.Min(math.Max(v+3, 0), 6) / 6 }},
		{NewHardSigmoid("a", HardSigmoidTorch, 0.5), func(v float64) float64 { return math.Min(math.Max(v/6+0.5, 0), 1) }},
		{NewHardSigmoid("a", 0.2, 0.5), func(v float64) float64 { return math.Min(math.Max(0.2*v+0.5, 0), 1) }},
	}
	for _, c := range cases {
		y, err := c.l.Forward([]*tensor.Tensor{x}, false)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range x.Data {
			if w := c.want(float64(v)); math.Abs(float64(y.Data[i])-w) > 1e-6 {
				t.Errorf("%v(%g) = %g, want %g", c.l, v, y.Data[i], w)
			}
		}
	}
}

func TestSoftmax(t *testing.T) {
	s := NewSoftmax("softmax")
	x, _ := tensor.FromData([]float32{1, 2, 3, 1000, 1000, 1000}, 2, 3)
	y, err := s.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	e := []float64{math.Exp(-2), math.Exp(-1), 1}
	sum := e[0] + e[1] + e[2]
	for i := 0; i < 3; i++ {
		if math.Abs(float64(y.Data[i])-e[i]/sum) > 1e-6 || math.Abs(float64(y.Data[3+i])-1.0/3) > 1e-6 {
			t.Fatalf("softmax = %v", y.Data)
		}
	}
	checkLayerGrads(t, s, []*tensor.Tensor{randTensor(2, -2, 2, 3, 2, 5)}, defaultGradCase())
}

func TestActivationMasks(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, c := range []struct {
		v          float32
		pos, below bool
	}{
		{0, false, true}, {float32(math.Copysign(0, -1)), false, false}, {1e-45, true, true},
		{-1e-45, false, false}, {0.5, true, true}, {-0.5, false, false}, {5.9999995, true, true},
		{6, true, false}, {6.0000005, true, false}, {inf, true, false}, {-inf, false, false},
	} {
		if got := positiveMask(c.v) == ^uint32(0); got != c.pos || positiveMask(c.v) != 0 && !got {
			t.Errorf("positiveMask(%g) = %#x, want positive %v", c.v, positiveMask(c.v), c.pos)
		}
		if c.v >= 0 && !math.Signbit(float64(c.v)) {
			if got := belowMask(c.v, six) == ^uint32(0); got != c.below || belowMask(c.v, six) != 0 && !got {
				t.Errorf("belowMask(%g, 6) = %#x, want below %v", c.v, belowMask(c.v, six), c.below)
			}
		}
	}
}
