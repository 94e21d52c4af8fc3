package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

func TestMaxPoolGradients(t *testing.T) {
	cfgs := []Pool2DConfig{
		{PoolH: 2, PoolW: 2},
		{PoolH: 3, PoolW: 3, StrideH: 2, StrideW: 2, Padding: PadSymmetric(1, 1)},
		{PoolH: 3, PoolW: 2, StrideH: 2, StrideW: 1, Padding: PadSame()},
		{PoolH: 3, PoolW: 3, StrideH: 2, StrideW: 2, CeilMode: true},
	}
	for i, c := range cfgs {
		l, err := NewMaxPool2D("maxpool", c)
		if err != nil {
			t.Fatal(err)
		}
		checkLayerGrads(t, l, []*tensor.Tensor{distinctValues(uint64(i), 0.05, 2, 7, 6, 3)}, defaultGradCase())
	}
}

func TestAvgPoolGradients(t *testing.T) {
	cfgs := []Pool2DConfig{
		{PoolH: 2, PoolW: 2},
		{PoolH: 3, PoolW: 3, StrideH: 2, StrideW: 2, Padding: PadSymmetric(1, 1), CountIncludePad: true},
		{PoolH: 3, PoolW: 3, StrideH: 2, StrideW: 2, Padding: PadSymmetric(1, 1)},
		{PoolH: 3, PoolW: 2, StrideH: 2, StrideW: 1, Padding: PadSame()},
		{PoolH: 3, PoolW: 3, StrideH: 2, StrideW: 2, Padding: PadSymmetric(1, 1), CeilMode: true, CountIncludePad: true},
	}
	for i, c := range cfgs {
		l, err := NewAvgPool2D("avgpool", c)
		if err != nil {
			t.Fatal(err)
		}
		checkLayerGrads(t, l, []*tensor.Tensor{randTensor(uint64(i), -1, 1, 2, 8, 7, 3)}, defaultGradCase())
	}
}

// torchAvgPool is PyTorch's avg_pool2d formula on one channel, written out.
func torchAvgPool(x []float32, inH, inW, k, s, pad int, ceil, includePad bool) (out []float64, oh, ow int) {
	size := func(in int) int {
		o := (in+2*pad-k+map[bool]int{true: s - 1}[ceil])/s + 1
		if ceil && (o-1)*s >= in+pad {
			o--
		}
		return o
	}
	oh, ow = size(inH), size(inW)
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			hs, ws := oy*s-pad, ox*s-pad
			he, we := min(hs+k, inH+pad), min(ws+k, inW+pad)
			poolSize := (he - hs) * (we - ws)
			hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, inH), min(we, inW)
			var sum float64
			for y := hs; y < he; y++ {
				for xx := ws; xx < we; xx++ {
					sum += float64(x[y*inW+xx])
				}
			}
			div := (he - hs) * (we - ws)
			if includePad {
				div = poolSize
			}
			out = append(out, sum/float64(div))
		}
	}
	return out, oh, ow
}

func TestAvgPoolMatchesTorchFormula(t *testing.T) {
	for _, inSize := range []int{5, 6, 7, 8} {
		for _, ceil := range []bool{false, true} {
			for _, inc := range []bool{false, true} {
				x := randTensor(uint64(inSize), -1, 1, 1, inSize, inSize, 1)
				l, _ := NewAvgPool2D("avg", Pool2DConfig{PoolH: 3, PoolW: 3, StrideH: 2, StrideW: 2, Padding: PadSymmetric(1, 1), CeilMode: ceil, CountIncludePad: inc})
				y, err := l.Forward([]*tensor.Tensor{x}, false)
				if err != nil {
					t.Fatal(err)
				}
				want, oh, ow := torchAvgPool(x.Data, inSize, inSize, 3, 2, 1, ceil, inc)
				if !tensor.EqualShapes(y.Shape, []int{1, oh, ow, 1}) {
					t.Fatalf("in %d ceil %v: shape %v, want %dx%d", inSize, ceil, y.Shape, oh, ow)
				}
				for i, w := range want {
					if math.Abs(float64(y.Data[i])-w) > 1e-6 {
						t.Fatalf("in %d ceil %v include %v: y[%d] = %g, want %g", inSize, ceil, inc, i, y.Data[i], w)
					}
				}
			}
		}
	}
}

func TestMaxPoolValuesAndPadding(t *testing.T) {
	// All-negative input: padding must never win.
	x, _ := tensor.FromData([]float32{-1, -2, -3, -4, -5, -6, -7, -8, -9}, 1, 3, 3, 1)
	l, _ := NewMaxPool2D("mp", Pool2DConfig{PoolH: 2, PoolW: 2, StrideH: 2, StrideW: 2, Padding: PadSymmetric(1, 1)})
	y, err := l.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{-1, -2, -4, -5}
	for i, w := range want {
		if y.Data[i] != w {
			t.Fatalf("maxpool = %v, want %v", y.Data, want)
		}
	}
	if _, err := l.Forward([]*tensor.Tensor{tensor.New(3, 3)}, false); err == nil || !strings.Contains(err.Error(), "mp") {
		t.Fatalf("rank-2 input: %v", err)
	}
}

func TestGlobalPools(t *testing.T) {
	for _, keep := range []bool{false, true} {
		avg := NewGlobalAvgPool("gap", keep)
		x := randTensor(1, -1, 1, 2, 3, 5, 4)
		y, err := avg.Forward([]*tensor.Tensor{x}, false)
		if err != nil {
			t.Fatal(err)
		}
		if keep && !tensor.EqualShapes(y.Shape, []int{2, 1, 1, 4}) || !keep && !tensor.EqualShapes(y.Shape, []int{2, 4}) {
			t.Fatalf("keepDims %v: shape %v", keep, y.Shape)
		}
		var s float64
		for p := 0; p < 15; p++ {
			s += float64(x.Data[(15+p)*4+2])
		}
		if math.Abs(float64(y.Data[4+2])-s/15) > 1e-6 {
			t.Fatalf("gap[1,2] = %g, want %g", y.Data[6], s/15)
		}
		checkLayerGrads(t, avg, []*tensor.Tensor{x}, defaultGradCase())
		checkLayerGrads(t, NewGlobalMaxPool("gmp", keep), []*tensor.Tensor{distinctValues(2, 0.05, 2, 3, 5, 4)}, defaultGradCase())
	}
}
