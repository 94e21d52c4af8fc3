package onnx

import (
	"encoding/json"
	"fmt"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// channelAffine computes y = x*scale + shift, where scale and shift hold
// either one value or one per channel (the last axis of NHWC images and of
// [N, C] features). It is what Add, Sub, Mul and Div with a constant operand
// become; the constants are fixed, not learned.
type channelAffine struct {
	name         string
	Scale, Shift []float32
	shape        []int // input shape of the last training Forward
}

func newChannelAffine(name string, scale, shift []float32) *channelAffine {
	return &channelAffine{name: name, Scale: scale, Shift: shift}
}

func (a *channelAffine) Name() string        { return a.name }
func (a *channelAffine) Params() []*nn.Param { return nil }
func (a *channelAffine) Release()            { a.shape = nil }

// check reports whether the constants fit c channels.
func (a *channelAffine) check(c int) error {
	for _, v := range [][]float32{a.Scale, a.Shift} {
		if len(v) != 1 && len(v) != c {
			return fmt.Errorf("%s: %d constants for %d channels", a.name, len(v), c)
		}
	}
	return nil
}

func (a *channelAffine) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if len(inputs) != 1 || inputs[0] == nil || inputs[0].Rank() < 1 {
		return nil, fmt.Errorf("%s: want one input", a.name)
	}
	x := inputs[0]
	c := x.Dim(-1)
	if err := a.check(c); err != nil {
		return nil, err
	}
	y := tensor.New(x.Shape...)
	for i := 0; i < len(x.Data); i += c {
		src, dst := x.Data[i:i+c], y.Data[i:i+c]
		for ch, v := range src {
			dst[ch] = v*a.Scale[ch%len(a.Scale)] + a.Shift[ch%len(a.Shift)]
		}
	}
	if training {
		a.shape = append([]int(nil), x.Shape...)
	}
	return y, nil
}

func (a *channelAffine) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if a.shape == nil {
		return nil, fmt.Errorf("%s: Backward called without a training Forward", a.name)
	}
	shape := a.shape
	a.shape = nil
	if !needInputGrad {
		return []*tensor.Tensor{nil}, nil
	}
	if !tensor.EqualShapes(gradOut.Shape, shape) {
		return nil, fmt.Errorf("%s: gradient %v for input %v", a.name, gradOut.Shape, shape)
	}
	c := shape[len(shape)-1]
	dx := tensor.New(shape...)
	for i := 0; i < len(dx.Data); i += c {
		src, dst := gradOut.Data[i:i+c], dx.Data[i:i+c]
		for ch, g := range src {
			dst[ch] = g * a.Scale[ch%len(a.Scale)]
		}
	}
	return []*tensor.Tensor{dx}, nil
}

// Spec lets graphs holding the layer be saved; the constants travel in it.
func (a *channelAffine) Spec() (nn.LayerSpec, error) {
	cfg, err := json.Marshal(struct{ Scale, Shift []float32 }{a.Scale, a.Shift})
	return nn.LayerSpec{Type: "onnx.ChannelAffine", Config: cfg}, err
}

func init() {
	nn.RegisterLayer("onnx.ChannelAffine", func(name string, raw json.RawMessage) (nn.Layer, error) {
		var cfg struct{ Scale, Shift []float32 }
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, fmt.Errorf("onnx.ChannelAffine %s: %w", name, err)
		}
		if len(cfg.Scale) == 0 || len(cfg.Shift) == 0 {
			return nil, fmt.Errorf("onnx.ChannelAffine %s: empty scale or shift", name)
		}
		return newChannelAffine(name, cfg.Scale, cfg.Shift), nil
	})
}
