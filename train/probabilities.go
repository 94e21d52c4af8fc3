package train

import (
	"math"

	"github.com/graft-ml/graft/nn"
)

// EndsInSoftmax reports whether the graph's first output is a softmax
// layer, so that its outputs are probabilities already.
func EndsInSoftmax(g *nn.Graph) bool {
	outs := g.Outputs()
	if len(outs) == 0 {
		return false
	}
	l, _ := g.Layer(outs[0])
	_, ok := l.(*nn.Softmax)
	return ok
}

// Probabilities turns one image's raw model output into class
// probabilities: as they are when the graph ends in a softmax (probsOut) or
// when the row already is a distribution (all values in [0, 1], summing to
// 1 within the 2% a quantised softmax can be off by), else through a
// softmax.
func Probabilities(raw []float32, probsOut bool) []float64 {
	if !probsOut && !IsDistribution(raw) {
		return Softmax(raw)
	}
	out := make([]float64, len(raw))
	for i, x := range raw {
		out[i] = float64(x)
	}
	return out
}

// IsDistribution reports whether v looks like probabilities already: all
// in [0, 1], summing to 1 within 2% (a uint8-quantised softmax is off by up
// to about 1/256 per class).
func IsDistribution(v []float32) bool {
	var sum float64
	for _, x := range v {
		if !(x >= 0 && x <= 1) {
			return false
		}
		sum += float64(x)
	}
	return math.Abs(sum-1) <= 0.02
}
