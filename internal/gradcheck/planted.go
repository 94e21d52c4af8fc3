package gradcheck

import (
	"math"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// PlantedFactor is the error ExpectCaught plants in a gradient: 0.1%, ten
// times GradTol.
const PlantedFactor = 1.001

// scaledGrad wraps a layer and scales by factor the gradient its Backward
// returns for input 0 (grad nil) or the gradient *grad of a parameter: a
// planted bug.
type scaledGrad struct {
	Layer
	grad   **tensor.Tensor
	factor float32
}

// Backward runs the wrapped Backward and scales the chosen gradient.
func (s scaledGrad) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	dx, err := s.Layer.Backward(gradOut, needInputGrad)
	if err != nil || len(dx) == 0 || dx[0] == nil {
		return dx, err
	}
	var target *tensor.Tensor
	if s.grad != nil {
		target = *s.grad
	} else {
		// The layer may return gradOut itself: scale a copy.
		dx[0] = dx[0].Clone()
		target = dx[0]
	}
	if target != nil {
		for i := range target.Data {
			target.Data[i] *= s.factor
		}
	}
	return dx, nil
}

// WithScaledGrad returns c with a planted bug: the gradient of input 0
// (param < 0) or of c.Params[param] multiplied by factor.
func WithScaledGrad(c Case, param int, factor float32) Case {
	s := scaledGrad{Layer: c.Layer, factor: factor}
	if param >= 0 {
		s.grad = c.Params[param].Grad
	}
	c.Layer = s
	return c
}

// WithOffReference returns c with its reference's largest output element
// multiplied by 1+rel.
func WithOffReference(c Case, rel float64) Case {
	ref := c.Ref
	c.Ref = func(x []T64, p [][]float64) T64 {
		y := ref(x, p)
		big := 0
		for i, v := range y.Data {
			if math.Abs(v) > math.Abs(y.Data[big]) {
				big = i
			}
		}
		if len(y.Data) > 0 {
			y.Data[big] *= 1 + rel
		}
		return y
	}
	return c
}

// ExpectCaught makes sure the checks can fail on the case build returns
// (a fresh one per call): the unbroken case must pass, while a gradient of
// input 0 or of any trainable parameter off by 0.1% (PlantedFactor), and a
// reference off by 1e-4, must each be reported.
func ExpectCaught(t *testing.T, build func() Case) {
	t.Helper()
	if rep := Run(build()); len(rep.Problems) > 0 {
		t.Fatalf("the unbroken layer fails: %v", rep.Problems)
	}
	c := build()
	for param := -1; param < len(c.Params); param++ {
		if param >= 0 && !c.Params[param].Trainable {
			continue
		}
		if rep := Run(WithScaledGrad(build(), param, PlantedFactor)); len(rep.Problems) == 0 {
			t.Errorf("gradient %d scaled by %g passed (worst relative error %.3g)", param, PlantedFactor, rep.GradErr)
		}
	}
	if rep := Run(WithOffReference(build(), 1e-4)); !(rep.FwdErr > ForwardTol) || len(rep.Problems) == 0 {
		t.Errorf("a reference off by 1e-4 passed check 1 (relative error %.3g)", rep.FwdErr)
	}
}
