package onnx

import (
	"encoding/json"
	"fmt"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// flattenCHW flattens an NHWC tensor to [N, C*H*W] in channels-first order,
// which is what ONNX's Flatten and Reshape mean for the NCHW tensors the
// exporter saw. Graft keeps activations NHWC, so the layer transposes as it
// flattens, and the Gemm that usually follows keeps the exporter's weights.
type flattenCHW struct {
	name  string
	shape []int // input shape of the last training Forward
}

func (f *flattenCHW) Name() string        { return f.name }
func (f *flattenCHW) Params() []*nn.Param { return nil }
func (f *flattenCHW) Release()            { f.shape = nil }

func (f *flattenCHW) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if len(inputs) != 1 || inputs[0].Rank() != 4 {
		return nil, fmt.Errorf("%s: want one NHWC input", f.name)
	}
	x := inputs[0]
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	y := tensor.New(n, c*h*w)
	for b := 0; b < n; b++ {
		src := x.Data[b*h*w*c : (b+1)*h*w*c]
		dst := y.Data[b*h*w*c : (b+1)*h*w*c]
		for p := 0; p < h*w; p++ {
			for ch := 0; ch < c; ch++ {
				dst[ch*h*w+p] = src[p*c+ch]
			}
		}
	}
	if training {
		f.shape = append([]int(nil), x.Shape...)
	}
	return y, nil
}

func (f *flattenCHW) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if f.shape == nil {
		return nil, fmt.Errorf("%s: Backward called without a training Forward", f.name)
	}
	shape := f.shape
	f.shape = nil
	if !needInputGrad {
		return []*tensor.Tensor{nil}, nil
	}
	n, h, w, c := shape[0], shape[1], shape[2], shape[3]
	if gradOut.Size() != n*h*w*c {
		return nil, fmt.Errorf("%s: gradient %v for input %v", f.name, gradOut.Shape, shape)
	}
	dx := tensor.New(shape...)
	for b := 0; b < n; b++ {
		src := gradOut.Data[b*h*w*c : (b+1)*h*w*c]
		dst := dx.Data[b*h*w*c : (b+1)*h*w*c]
		for p := 0; p < h*w; p++ {
			for ch := 0; ch < c; ch++ {
				dst[p*c+ch] = src[ch*h*w+p]
			}
		}
	}
	return []*tensor.Tensor{dx}, nil
}

// Spec lets graphs holding the layer be saved.
func (f *flattenCHW) Spec() (nn.LayerSpec, error) { return nn.LayerSpec{Type: "onnx.FlattenCHW"}, nil }

func init() {
	nn.RegisterLayer("onnx.FlattenCHW", func(name string, _ json.RawMessage) (nn.Layer, error) {
		return &flattenCHW{name: name}, nil
	})
}
