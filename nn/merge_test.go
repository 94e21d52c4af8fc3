package nn

import (
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

func TestMergeGradients(t *testing.T) {
	x := func(seed uint64, shape ...int) *tensor.Tensor { return randTensor(seed, -1, 1, shape...) }
	checkLayerGrads(t, NewAdd("add3"), []*tensor.Tensor{x(1, 2, 3, 3, 4), x(2, 2, 3, 3, 4), x(3, 2, 3, 3, 4)}, defaultGradCase())
	checkLayerGrads(t, NewMultiply("mul_same"), []*tensor.Tensor{x(1, 2, 3, 4), x(2, 2, 3, 4)}, defaultGradCase())
	checkLayerGrads(t, NewMultiply("mul_nc"), []*tensor.Tensor{x(1, 2, 3, 5, 4), x(2, 2, 4)}, defaultGradCase())
	checkLayerGrads(t, NewMultiply("mul_n11c_first"), []*tensor.Tensor{x(2, 2, 1, 1, 4), x(1, 2, 3, 5, 4)}, defaultGradCase())
	checkLayerGrads(t, NewConcat("concat"), []*tensor.Tensor{x(1, 2, 3, 3, 2), x(2, 2, 3, 3, 5), x(3, 2, 3, 3, 1)}, defaultGradCase())
}

func TestConcatValues(t *testing.T) {
	a, _ := tensor.FromData([]float32{1, 2, 3, 4}, 2, 2)
	b, _ := tensor.FromData([]float32{5, 6}, 2, 1)
	y, err := NewConcat("c").Forward([]*tensor.Tensor{a, b}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 2, 5, 3, 4, 6}
	for i, w := range want {
		if y.Data[i] != w {
			t.Fatalf("concat = %v, want %v", y.Data, want)
		}
	}
}

func TestMergeBadInput(t *testing.T) {
	_, err := NewAdd("add_7").Forward([]*tensor.Tensor{tensor.New(2, 4, 4, 8), tensor.New(2, 4, 4, 16)}, false)
	if err == nil || !strings.Contains(err.Error(), "add_7") || !strings.Contains(err.Error(), "[2 4 4 16]") || !strings.Contains(err.Error(), "[2 4 4 8]") {
		t.Fatalf("add: %v", err)
	}
	_, err = NewMultiply("se_mul").Forward([]*tensor.Tensor{tensor.New(2, 4, 4, 8), tensor.New(2, 7)}, false)
	if err == nil || !strings.Contains(err.Error(), "se_mul") || !strings.Contains(err.Error(), "[2 7]") {
		t.Fatalf("multiply: %v", err)
	}
	_, err = NewConcat("cat").Forward([]*tensor.Tensor{tensor.New(2, 4, 4, 8), tensor.New(2, 3, 4, 8)}, false)
	if err == nil || !strings.Contains(err.Error(), "cat") || !strings.Contains(err.Error(), "[2 3 4 8]") {
		t.Fatalf("concat: %v", err)
	}
}

func TestShapeLayers(t *testing.T) {
	x := randTensor(1, -1, 1, 2, 3, 4, 5)
	f := NewFlatten("flatten")
	y, err := f.Forward([]*tensor.Tensor{x}, false)
	if err != nil || !tensor.EqualShapes(y.Shape, []int{2, 60}) {
		t.Fatalf("flatten: %v %v", y, err)
	}
	checkLayerGrads(t, f, []*tensor.Tensor{x}, defaultGradCase())
	checkLayerGrads(t, NewReshape("reshape", 4, -1, 3), []*tensor.Tensor{x}, defaultGradCase())
	if _, err := NewReshape("reshape_bad", 7, -1).Forward([]*tensor.Tensor{x}, false); err == nil || !strings.Contains(err.Error(), "reshape_bad") {
		t.Fatalf("bad reshape: %v", err)
	}
	z, err := NewZeroPadding2D("pad", 1, 2, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	y, err = z.Forward([]*tensor.Tensor{x}, false)
	if err != nil || !tensor.EqualShapes(y.Shape, []int{2, 6, 7, 5}) {
		t.Fatalf("zero padding: %v %v", y, err)
	}
	// y[1, 1+1, 0+2, 3] is x[1, 1, 2, 3]; row 0 is padding.
	if y.Data[((1*6+2)*7+2)*5+3] != x.Data[((1*3+1)*4+2)*5+3] || y.Data[(0*7+1)*5] != 0 {
		t.Fatal("zero padding placed values wrongly")
	}
	checkLayerGrads(t, z, []*tensor.Tensor{x}, defaultGradCase())
}

func TestDropout(t *testing.T) {
	d, err := NewDropout("drop", 0.3, 42)
	if err != nil {
		t.Fatal(err)
	}
	x := randTensor(1, 1, 2, 100, 100)
	y, err := d.Forward([]*tensor.Tensor{x}, false)
	if err != nil || y != x {
		t.Fatal("dropout at inference is not the identity")
	}
	y, err = d.Forward([]*tensor.Tensor{x}, true)
	if err != nil {
		t.Fatal(err)
	}
	zeros := 0
	for i, v := range y.Data {
		switch {
		case v == 0:
			zeros++
		case v != x.Data[i]*float32(1/0.7):
			t.Fatalf("kept value %g, want %g", v, x.Data[i]/0.7)
		}
	}
	if frac := float64(zeros) / float64(len(y.Data)); frac < 0.28 || frac > 0.32 {
		t.Fatalf("dropped %.3f, want about 0.3", frac)
	}
	d.Release()
	checkLayerGrads(t, d, []*tensor.Tensor{randTensor(2, -1, 1, 4, 6)}, gradCase{eps: 1e-2, atol: 2e-3, rtol: 1e-2, before: func() { d.Reseed(7) }})
	if _, err := NewDropout("d", 1, 0); err == nil {
		t.Fatal("rate 1 accepted")
	}
	// Same seed, same mask.
	a, _ := NewDropout("a", 0.5, 9)
	b, _ := NewDropout("b", 0.5, 9)
	ya, _ := a.Forward([]*tensor.Tensor{x}, true)
	yb, _ := b.Forward([]*tensor.Tensor{x}, true)
	for i := range ya.Data {
		if ya.Data[i] != yb.Data[i] {
			t.Fatal("equal seeds gave different masks")
		}
	}
}
