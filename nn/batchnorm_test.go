package nn

import (
	"math"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

func newTestBN(t *testing.T, conv BNConvention, c int) *BatchNorm {
	t.Helper()
	b, err := NewBatchNorm("bn", BatchNormConfig{Channels: c, Convention: conv})
	if err != nil {
		t.Fatal(err)
	}
	copy(b.Gamma.Value.Data, randTensor(1, 0.5, 1.5, c).Data)
	copy(b.Beta.Value.Data, randTensor(2, -1, 1, c).Data)
	copy(b.MovingMean.Value.Data, randTensor(3, -0.5, 0.5, c).Data)
	copy(b.MovingVariance.Value.Data, randTensor(4, 0.5, 2, c).Data)
	return b
}

func TestBatchNormGradients(t *testing.T) {
	for _, mode := range []BNMode{BNTrain, BNInference, BNFrozen} {
		b := newTestBN(t, BNKeras, 3)
		b.SetMode(mode)
		x := randTensor(5, -2, 2, 2, 3, 3, 3)
		for i := range x.Data {
			x.Data[i] += float32(i%3) * 0.7 // per-channel offsets
		}
		checkLayerGrads(t, b, []*tensor.Tensor{x}, defaultGradCase())
	}
	b := newTestBN(t, BNPyTorch, 4)
	checkLayerGrads(t, b, []*tensor.Tensor{randTensor(6, -1, 1, 5, 4)}, defaultGradCase())
}

func TestBatchNormRunningStats(t *testing.T) {
	x, _ := tensor.FromData([]float32{1, 10, 2, 20, 4, 30, 5, 40}, 4, 2)
	// channel 0: 1 2 4 5 -> mean 3, biased var 2.5, unbiased 10/3
	// channel 1: 10 20 30 40 -> mean 25, biased var 125, unbiased 500/3
	for _, c := range []struct {
		conv             BNConvention
		wantMean, wantVa [2]float64
	}{
		{BNKeras, [2]float64{0.01 * 3, 0.01 * 25}, [2]float64{0.99 + 0.01*2.5, 0.99 + 0.01*125}},
		{BNPyTorch, [2]float64{0.1 * 3, 0.1 * 25}, [2]float64{0.9 + 0.1*10.0/3, 0.9 + 0.1*500.0/3}},
	} {
		b, err := NewBatchNorm("bn", BatchNormConfig{Channels: 2, Convention: c.conv})
		if err != nil {
			t.Fatal(err)
		}
		y, err := b.Forward([]*tensor.Tensor{x}, true)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 2; j++ {
			if math.Abs(float64(b.MovingMean.Value.Data[j])-c.wantMean[j]) > 1e-5 ||
				math.Abs(float64(b.MovingVariance.Value.Data[j])-c.wantVa[j]) > 1e-4 {
				t.Errorf("convention %d channel %d: running %g %g, want %g %g", c.conv, j,
					b.MovingMean.Value.Data[j], b.MovingVariance.Value.Data[j], c.wantMean[j], c.wantVa[j])
			}
		}
		// Normalised with the biased variance: (1-3)/sqrt(2.5+eps).
		want := -2 / math.Sqrt(2.5+b.Epsilon())
		if math.Abs(float64(y.Data[0])-want) > 1e-5 {
			t.Errorf("convention %d: y[0] = %g, want %g", c.conv, y.Data[0], want)
		}
	}
}

func TestBatchNormInferenceAndFrozen(t *testing.T) {
	b := newTestBN(t, BNKeras, 3)
	x := randTensor(7, -2, 2, 4, 3)
	rm := b.MovingMean.Value.Clone()
	rv := b.MovingVariance.Value.Clone()
	y, err := b.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range x.Data {
		c := i % 3
		want := float64(b.Gamma.Value.Data[c])*(float64(v)-float64(rm.Data[c]))/math.Sqrt(float64(rv.Data[c])+1e-3) + float64(b.Beta.Value.Data[c])
		if math.Abs(float64(y.Data[i])-want) > 1e-5 {
			t.Fatalf("inference y[%d] = %g, want %g", i, y.Data[i], want)
		}
	}
	b.SetFrozen(true)
	if b.Gamma.Trainable || b.Beta.Trainable {
		t.Fatal("frozen BatchNorm has trainable gamma/beta")
	}
	yf, err := b.Forward([]*tensor.Tensor{x}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Backward(randTensor(8, -1, 1, 4, 3), true); err != nil {
		t.Fatal(err)
	}
	for i := range y.Data {
		if y.Data[i] != yf.Data[i] {
			t.Fatalf("frozen training forward differs from inference at %d", i)
		}
	}
	for c := 0; c < 3; c++ {
		if b.MovingMean.Value.Data[c] != rm.Data[c] || b.MovingVariance.Value.Data[c] != rv.Data[c] {
			t.Fatal("frozen BatchNorm changed its running statistics")
		}
	}
	if b.Gamma.Grad != nil || b.Beta.Grad != nil {
		t.Fatal("frozen BatchNorm computed gamma/beta gradients")
	}
	b.SetFrozen(false)
	if !b.Gamma.Trainable || b.Mode() != BNTrain {
		t.Fatal("unfreezing did not restore training mode")
	}
}
