package onnx

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// clip converts Clip: [0, 6] is ReLU6, [0, inf) is ReLU, anything else a
// clipLayer. Bounds are attributes before opset 11 and constant inputs after.
func (c *converter) clip(n *Node) error {
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	if c.opset < 11 {
		lo, hi = floatAttr(n, "min", lo), floatAttr(n, "max", hi)
	} else {
		for i, dst := range []*float32{&lo, &hi} {
			if i+1 < len(n.Inputs) && n.Inputs[i+1] != "" {
				k, ok, err := c.constOf(n.Inputs[i+1])
				if err != nil {
					return err
				}
				if !ok || len(k.vals) != 1 || math.IsNaN(k.vals[0]) {
					return fmt.Errorf("clip bounds must be scalar constants")
				}
				*dst = float32(k.vals[0])
			}
		}
	}
	switch {
	case lo > hi:
		return fmt.Errorf("clip to [%g, %g]: min exceeds max", lo, hi)
	case lo == 0 && hi == 6:
		return c.unary(n, nn.NewReLU6(c.layerName(n)))
	case lo == 0 && math.IsInf(float64(hi), 1):
		return c.unary(n, nn.NewReLU(c.layerName(n)))
	}
	return c.unary(n, &clipLayer{name: c.layerName(n), Min: lo, Max: hi})
}

// clipLayer limits values to [Min, Max]; its gradient passes where the
// input lay strictly inside.
type clipLayer struct {
	name     string
	Min, Max float32
	x        *tensor.Tensor // input of the last training Forward
}

func (l *clipLayer) Name() string        { return l.name }
func (l *clipLayer) Params() []*nn.Param { return nil }
func (l *clipLayer) Release()            { l.x = nil }

func (l *clipLayer) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	if len(inputs) != 1 || inputs[0] == nil {
		return nil, fmt.Errorf("%s: want one input", l.name)
	}
	x := inputs[0]
	y := tensor.New(x.Shape...)
	for i, v := range x.Data {
		y.Data[i] = min(max(v, l.Min), l.Max)
	}
	l.x = nil
	if training {
		l.x = x
	}
	return y, nil
}

func (l *clipLayer) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	x := l.x
	if x == nil {
		return nil, fmt.Errorf("%s: Backward called without a training Forward", l.name)
	}
	l.x = nil
	if !needInputGrad {
		return []*tensor.Tensor{nil}, nil
	}
	if !tensor.EqualShapes(gradOut.Shape, x.Shape) {
		return nil, fmt.Errorf("%s: gradient %v for input %v", l.name, gradOut.Shape, x.Shape)
	}
	dx := tensor.New(x.Shape...)
	for i, v := range x.Data {
		if v > l.Min && v < l.Max {
			dx.Data[i] = gradOut.Data[i]
		}
	}
	return []*tensor.Tensor{dx}, nil
}

// clipSpec is clipLayer's saved configuration; a missing bound is unbounded
// (JSON has no infinities).
type clipSpec struct {
	Min *float32 `json:"min,omitempty"`
	Max *float32 `json:"max,omitempty"`
}

// Spec lets graphs holding the layer be saved.
func (l *clipLayer) Spec() (nn.LayerSpec, error) {
	var s clipSpec
	if !math.IsInf(float64(l.Min), 0) {
		s.Min = &l.Min
	}
	if !math.IsInf(float64(l.Max), 0) {
		s.Max = &l.Max
	}
	cfg, err := json.Marshal(s)
	return nn.LayerSpec{Type: "onnx.Clip", Config: cfg}, err
}

func init() {
	nn.RegisterLayer("onnx.Clip", func(name string, raw json.RawMessage) (nn.Layer, error) {
		var cfg clipSpec
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, fmt.Errorf("onnx.Clip %s: %w", name, err)
		}
		l := &clipLayer{name: name, Min: float32(math.Inf(-1)), Max: float32(math.Inf(1))}
		if cfg.Min != nil {
			l.Min = *cfg.Min
		}
		if cfg.Max != nil {
			l.Max = *cfg.Max
		}
		return l, nil
	})
}
