package nn

import (
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

func TestDenseGradients(t *testing.T) {
	l, err := NewDense("fc", DenseConfig{In: 7, Out: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	copy(l.Bias.Value.Data, randTensor(2, -1, 1, 5).Data)
	checkLayerGrads(t, l, []*tensor.Tensor{randTensor(3, -1, 1, 3, 7)}, defaultGradCase())

	nb, err := NewDense("fc_nobias_rank3", DenseConfig{In: 4, Out: 3, NoBias: true, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkLayerGrads(t, nb, []*tensor.Tensor{randTensor(4, -1, 1, 2, 3, 4)}, defaultGradCase())
}

func TestDenseValues(t *testing.T) {
	l, _ := NewDense("fc", DenseConfig{In: 2, Out: 3})
	copy(l.Kernel.Value.Data, []float32{1, 2, 3, 4, 5, 6})
	copy(l.Bias.Value.Data, []float32{0.5, -1, 0})
	x, _ := tensor.FromData([]float32{1, -1, 2, 0.5}, 2, 2)
	y, err := l.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1 - 4 + 0.5, 2 - 5 - 1, 3 - 6, 2 + 2 + 0.5, 4 + 2.5 - 1, 6 + 3}
	for i, w := range want {
		if y.Data[i] != w {
			t.Fatalf("y = %v, want %v", y.Data, want)
		}
	}
	if l.holds() {
		t.Fatal("inference forward kept a cache")
	}
}

func TestDenseFrozenKernelTrainableBias(t *testing.T) {
	l, _ := NewDense("fc", DenseConfig{In: 3, Out: 2, Seed: 3})
	l.Kernel.Trainable = false
	x := randTensor(1, -1, 1, 4, 3)
	if _, err := l.Forward([]*tensor.Tensor{x}, true); err != nil {
		t.Fatal(err)
	}
	dy := randTensor(2, -1, 1, 4, 2)
	if _, err := l.Backward(dy, false); err != nil {
		t.Fatal(err)
	}
	if l.Kernel.Grad != nil {
		t.Fatal("frozen kernel got a gradient")
	}
	for c := 0; c < 2; c++ {
		var s float32
		for r := 0; r < 4; r++ {
			s += dy.Data[r*2+c]
		}
		if d := l.Bias.Grad.Data[c] - s; d > 1e-6 || d < -1e-6 {
			t.Fatalf("bias grad %v, want sum %g", l.Bias.Grad.Data, s)
		}
	}
}

func TestDenseBadInput(t *testing.T) {
	l, _ := NewDense("dense_1", DenseConfig{In: 3, Out: 2})
	_, err := l.Forward([]*tensor.Tensor{tensor.New(4, 5)}, false)
	if err == nil || !strings.Contains(err.Error(), "dense_1") || !strings.Contains(err.Error(), "[4 5]") {
		t.Fatalf("got %v", err)
	}
	if _, err := l.Forward(nil, false); err == nil {
		t.Fatal("no inputs: no error")
	}
}
