package nn

import (
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

func TestConv2DGradients(t *testing.T) {
	cases := []struct {
		name string
		in   []int
		cfg  Conv2DConfig
	}{
		{"plain3x3", []int{2, 5, 6, 3}, Conv2DConfig{InChannels: 3, Filters: 4, KernelH: 3, KernelW: 3}},
		{"strided_same_odd", []int{2, 7, 5, 3}, Conv2DConfig{InChannels: 3, Filters: 5, KernelH: 3, KernelW: 2, StrideH: 2, StrideW: 3, Padding: PadSame()}},
		{"padded_dilated", []int{1, 7, 8, 2}, Conv2DConfig{InChannels: 2, Filters: 3, KernelH: 3, KernelW: 3, DilationH: 2, DilationW: 3, Padding: PadExplicit(1, 2, 2, 0)}},
		{"grouped_nobias", []int{2, 5, 5, 4}, Conv2DConfig{InChannels: 4, Filters: 6, KernelH: 3, KernelW: 3, Groups: 2, StrideH: 2, StrideW: 2, Padding: PadSymmetric(1, 1), NoBias: true}},
		{"pointwise", []int{3, 3, 3, 5}, Conv2DConfig{InChannels: 5, Filters: 7, KernelH: 1, KernelW: 1}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Seed = uint64(i)
			l, err := NewConv2D("conv_"+c.name, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if l.Bias != nil {
				copy(l.Bias.Value.Data, randTensor(5, -1, 1, c.cfg.Filters).Data)
			}
			checkLayerGrads(t, l, []*tensor.Tensor{randTensor(uint64(i+1), -1, 1, c.in...)}, defaultGradCase())
		})
	}
}

func TestDepthwiseConv2DGradients(t *testing.T) {
	cases := []struct {
		name string
		in   []int
		cfg  DepthwiseConv2DConfig
	}{
		{"mult1_same", []int{2, 6, 5, 3}, DepthwiseConv2DConfig{Channels: 3, KernelH: 3, KernelW: 3, Padding: PadSame()}},
		{"mult2_strided", []int{1, 7, 7, 2}, DepthwiseConv2DConfig{Channels: 2, Multiplier: 2, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, Padding: PadSymmetric(1, 1)}},
		{"dilated_nobias", []int{2, 8, 6, 3}, DepthwiseConv2DConfig{Channels: 3, KernelH: 3, KernelW: 2, DilationH: 2, DilationW: 2, NoBias: true}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Seed = uint64(i)
			l, err := NewDepthwiseConv2D("dw_"+c.name, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkLayerGrads(t, l, []*tensor.Tensor{randTensor(uint64(i+1), -1, 1, c.in...)}, defaultGradCase())
		})
	}
}

// TestDepthwiseMatchesLoop checks the depthwise layout: output channel
// c*mult+j is input channel c convolved with kernel[:, :, c, j].
func TestDepthwiseMatchesLoop(t *testing.T) {
	l, err := NewDepthwiseConv2D("dw", DepthwiseConv2DConfig{Channels: 2, Multiplier: 3, KernelH: 2, KernelW: 2, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	x := randTensor(1, -1, 1, 1, 3, 3, 2)
	y, err := l.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	k := l.Kernel.Value.Data
	for oy := 0; oy < 2; oy++ {
		for ox := 0; ox < 2; ox++ {
			for c := 0; c < 2; c++ {
				for j := 0; j < 3; j++ {
					var want float32
					for ky := 0; ky < 2; ky++ {
						for kx := 0; kx < 2; kx++ {
							want += x.Data[((oy+ky)*3+ox+kx)*2+c] * k[((ky*2+kx)*2+c)*3+j]
						}
					}
					got := y.Data[(oy*2+ox)*6+c*3+j]
					if d := got - want; d > 1e-5 || d < -1e-5 {
						t.Fatalf("y[%d,%d,%d]: got %g want %g", oy, ox, c*3+j, got, want)
					}
				}
			}
		}
	}
}

func TestConv2DBadInput(t *testing.T) {
	l, err := NewConv2D("conv2d_3", Conv2DConfig{InChannels: 4, Filters: 2, KernelH: 3, KernelW: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Forward([]*tensor.Tensor{tensor.New(2, 8, 8, 5)}, false)
	if err == nil || !strings.Contains(err.Error(), "conv2d_3") || !strings.Contains(err.Error(), "[2 8 8 5]") || !strings.Contains(err.Error(), "4 channels") {
		t.Fatalf("got %v", err)
	}
	_, err = l.Forward([]*tensor.Tensor{tensor.New(1, 2, 2, 4)}, false)
	if err == nil || !strings.Contains(err.Error(), "conv2d_3") {
		t.Fatalf("too small input: got %v", err)
	}
	if _, err := l.Backward(tensor.New(1, 1, 1, 2), true); err == nil {
		t.Fatal("backward without forward: no error")
	}
	if _, err := NewConv2D("c", Conv2DConfig{InChannels: 3, Filters: 4, KernelH: 1, KernelW: 1, Groups: 2}); err == nil {
		t.Fatal("groups not dividing channels: no error")
	}
}
