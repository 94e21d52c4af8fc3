package nn

import (
	"fmt"
	"math"

	"github.com/graft-ml/graft/compute"
	"github.com/graft-ml/graft/tensor"
)

// actKind names an element-wise activation.
type actKind int

const (
	actReLU actKind = iota
	actReLU6
	actLeakyReLU
	actSigmoid
	actSwish
	actHardSwish
	actHardSigmoid
)

// Activation is an element-wise nonlinearity; build one with NewReLU,
// NewReLU6, NewLeakyReLU, NewSigmoid, NewSwish, NewHardSwish or
// NewHardSigmoid.
type Activation struct {
	name          string
	kind          actKind
	alpha         float32 // LeakyReLU's negative slope
	slope, offset float32 // HardSigmoid: clip(slope*x + offset, 0, 1)
	cache
	keptOutput bool
}

// NewReLU returns max(x, 0).
func NewReLU(name string) *Activation { return &Activation{name: name, kind: actReLU} }

// NewReLU6 returns min(max(x, 0), 6).
func NewReLU6(name string) *Activation { return &Activation{name: name, kind: actReLU6} }

// NewLeakyReLU returns x for x > 0 and alpha*x otherwise.
func NewLeakyReLU(name string, alpha float32) *Activation {
	return &Activation{name: name, kind: actLeakyReLU, alpha: alpha}
}

// NewSigmoid returns 1/(1+exp(-x)).
func NewSigmoid(name string) *Activation { return &Activation{name: name, kind: actSigmoid} }

// NewSwish returns x*sigmoid(x) (also called SiLU).
func NewSwish(name string) *Activation { return &Activation{name: name, kind: actSwish} }

// NewHardSwish returns x*relu6(x+3)/6, as PyTorch and MobileNetV3 define it.
func NewHardSwish(name string) *Activation { return &Activation{name: name, kind: actHardSwish} }

// NewHardSigmoid returns clip(slope*x + offset, 0, 1). PyTorch (and Keras 3)
// use slope 1/6, offset 0.5 (HardSigmoidTorch); Keras 2 used 0.2 and 0.5.
func NewHardSigmoid(name string, slope, offset float32) *Activation {
	return &Activation{name: name, kind: actHardSigmoid, slope: slope, offset: offset}
}

// HardSigmoidTorch is PyTorch's hard sigmoid slope; its offset is 0.5.
const HardSigmoidTorch = float32(1.0 / 6)

// Name returns the layer's name.
func (a *Activation) Name() string { return a.name }

// Params returns nil: activations learn nothing.
func (a *Activation) Params() []*Param { return nil }

// String names the activation and its constants.
func (a *Activation) String() string {
	switch a.kind {
	case actReLU:
		return "ReLU"
	case actReLU6:
		return "ReLU6"
	case actLeakyReLU:
		return fmt.Sprintf("LeakyReLU(%g)", a.alpha)
	case actSigmoid:
		return "Sigmoid"
	case actSwish:
		return "Swish"
	case actHardSwish:
		return "HardSwish"
	}
	return fmt.Sprintf("HardSigmoid(%g, %g)", a.slope, a.offset)
}

// usesOutput reports whether Backward can work from the output alone (which
// lets the graph free the input early).
func (a *Activation) usesOutput() bool {
	switch a.kind {
	case actReLU, actReLU6, actSigmoid:
		return true
	case actLeakyReLU:
		return a.alpha > 0
	}
	return false
}

// elementGrain is the fewest elements a parallel chunk of an element-wise
// loop takes.
const elementGrain = 1 << 15

// Forward applies the activation element by element.
func (a *Activation) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	a.Release()
	x, err := oneInput(a.name, inputs, 0)
	if err != nil {
		return nil, err
	}
	y := newOutput(x.Shape...)
	compute.ParallelFor(len(x.Data), elementGrain, func(s, e int) {
		a.forward(x.Data[s:e], y.Data[s:e])
	})
	if training {
		a.keptOutput = a.usesOutput()
		if a.keptOutput {
			a.keep(y)
		} else {
			a.keep(x)
		}
	}
	return y, nil
}

func sigmoid32(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) }

func (a *Activation) forward(x, y []float32) {
	y = y[:len(x)]
	switch a.kind {
	case actReLU:
		for i, v := range x {
			y[i] = clampNegative(v)
		}
	case actReLU6:
		for i, v := range x {
			if r := clampNegative(v); r > 6 {
				y[i] = 6
			} else {
				y[i] = r
			}
		}
	case actLeakyReLU:
		one, alpha := math.Float32bits(1), math.Float32bits(a.alpha)
		for i, v := range x {
			m := positiveMask(v)
			y[i] = v * math.Float32frombits(one&m|alpha&^m)
		}
	case actSigmoid:
		for i, v := range x {
			y[i] = sigmoid32(v)
		}
	case actSwish:
		for i, v := range x {
			y[i] = v * sigmoid32(v)
		}
	case actHardSwish:
		for i, v := range x {
			y[i] = v * min(max(v+3, 0), 6) / 6
		}
	case actHardSigmoid:
		for i, v := range x {
			y[i] = min(max(a.slope*v+a.offset, 0), 1)
		}
	}
}

// Backward returns dLoss/dInput.
func (a *Activation) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if err := a.ready(a.name); err != nil {
		return nil, err
	}
	t := a.ts[0]
	defer a.Release()
	if err := checkGradShape(a.name, gradOut, t.Shape); err != nil {
		return nil, err
	}
	if !needInputGrad {
		return nil, nil
	}
	dx := newOutput(t.Shape...)
	compute.ParallelFor(len(t.Data), elementGrain, func(s, e int) {
		a.backward(t.Data[s:e], gradOut.Data[s:e], dx.Data[s:e])
	})
	return []*tensor.Tensor{dx}, nil
}

// backward computes dx from dy and t, which is the output when
// a.keptOutput and the input otherwise. At kinks the derivative is
// PyTorch's choice.
func (a *Activation) backward(t, dy, dx []float32) {
	dy, dx = dy[:len(t)], dx[:len(t)]
	switch a.kind {
	case actReLU:
		for i, v := range t {
			dx[i] = math.Float32frombits(math.Float32bits(dy[i]) & positiveMask(v))
		}
	case actReLU6:
		for i, v := range t {
			dx[i] = math.Float32frombits(math.Float32bits(dy[i]) & positiveMask(v) & belowMask(v, six))
		}
	case actLeakyReLU:
		one, alpha := math.Float32bits(1), math.Float32bits(a.alpha)
		for i, v := range t {
			m := positiveMask(v)
			dx[i] = dy[i] * math.Float32frombits(one&m|alpha&^m)
		}
	case actSigmoid:
		for i, v := range t {
			dx[i] = dy[i] * v * (1 - v)
		}
	case actSwish:
		for i, v := range t {
			s := sigmoid32(v)
			dx[i] = dy[i] * s * (1 + v*(1-s))
		}
	case actHardSwish:
		for i, v := range t {
			switch {
			case v < -3:
				dx[i] = 0
			case v <= 3:
				dx[i] = dy[i] * (v/3 + 0.5)
			default:
				dx[i] = dy[i]
			}
		}
	case actHardSigmoid:
		for i, v := range t {
			if u := a.slope*v + a.offset; u > 0 && u < 1 {
				dx[i] = dy[i] * a.slope
			} else {
				dx[i] = 0
			}
		}
	}
}

// clampNegative returns max(v, 0) without a branch: zero for a negative v
// (or -0, or a NaN with its sign bit set), v otherwise.
func clampNegative(v float32) float32 {
	u := math.Float32bits(v)
	return math.Float32frombits(u &^ uint32(int32(u)>>31))
}

// six is the bit pattern of float32 6, ReLU6's ceiling.
var six = math.Float32bits(6)

// positiveMask returns all ones when v > 0 and zero when v <= 0 (a NaN
// gives ones when its sign bit is clear), without a branch, so that
// element-wise loops over random signs do not stall on mispredictions.
func positiveMask(v float32) uint32 {
	x := int32(math.Float32bits(v))
	// -x has its sign bit set exactly when x > 0 (x = MinInt32 is -0,
	// whose sign bit x clears again).
	return uint32((-x &^ x) >> 31)
}

// belowMask returns all ones when v < the non-negative float32 whose bits
// are limit, for v >= 0 (where float order is integer order on the bits),
// and zero for v >= limit; callers combine it with positiveMask.
func belowMask(v float32, limit uint32) uint32 {
	return uint32((int32(math.Float32bits(v)) - int32(limit)) >> 31)
}
