package nn

import (
	"fmt"
	"math"

	"github.com/graft-ml/graft/tensor"
)

// Loss scores a batch of predictions against labels. Forward returns the
// mean loss; Backward returns dLoss/dLogits for the last Forward.
type Loss interface {
	Forward(logits, labels *tensor.Tensor) (float64, error)
	Backward() (*tensor.Tensor, error)
}

// CrossEntropyConfig configures SoftmaxCrossEntropy.
type CrossEntropyConfig struct {
	// LabelSmoothing ε mixes the targets with the uniform distribution:
	// (1-ε)·target + ε/C, as PyTorch's label_smoothing.
	LabelSmoothing float64
	// ClassWeights, when not nil, weights each class's term; the mean over
	// integer labels is then divided by the summed weights of the labels, as
	// PyTorch's CrossEntropyLoss(weight=...) does (probability labels divide
	// by N, as PyTorch does too).
	ClassWeights []float32
}

// SoftmaxCrossEntropy is the cross-entropy of softmax(logits) [N, C] against
// integer labels [N] (class indices stored as float32) or probability (or
// one-hot) labels [N, C].
type SoftmaxCrossEntropy struct {
	cfg  CrossEntropyConfig
	grad *tensor.Tensor
}

// NewSoftmaxCrossEntropy returns a softmax cross-entropy loss.
func NewSoftmaxCrossEntropy(c CrossEntropyConfig) (*SoftmaxCrossEntropy, error) {
	if c.LabelSmoothing < 0 || c.LabelSmoothing > 1 {
		return nil, fmt.Errorf("cross-entropy: label smoothing %g must be in [0, 1]", c.LabelSmoothing)
	}
	for i, w := range c.ClassWeights {
		if w < 0 || math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) {
			return nil, fmt.Errorf("cross-entropy: class weight %d is %g; weights must be finite and non-negative", i, w)
		}
	}
	c.ClassWeights = append([]float32(nil), c.ClassWeights...)
	return &SoftmaxCrossEntropy{cfg: c}, nil
}

// weight returns class c's weight (1 without class weights).
func (l *SoftmaxCrossEntropy) weight(c int) float64 {
	if l.cfg.ClassWeights == nil {
		return 1
	}
	return float64(l.cfg.ClassWeights[c])
}

// Forward returns the mean cross-entropy and keeps the gradient.
func (l *SoftmaxCrossEntropy) Forward(logits, labels *tensor.Tensor) (float64, error) {
	l.grad = nil
	if logits == nil || labels == nil || logits.Rank() != 2 || logits.Shape[0] < 1 || logits.Shape[1] < 1 {
		return 0, fmt.Errorf("cross-entropy: logits %v, want [N C]", shapeOf(logits))
	}
	n, c := logits.Shape[0], logits.Shape[1]
	if l.cfg.ClassWeights != nil && len(l.cfg.ClassWeights) != c {
		return 0, fmt.Errorf("cross-entropy: %d class weights for logits %v", len(l.cfg.ClassWeights), logits.Shape)
	}
	sparse := tensor.EqualShapes(labels.Shape, []int{n})
	if !sparse && !tensor.SameShape(labels, logits) {
		return 0, fmt.Errorf("cross-entropy: labels %v for logits %v, want [%d] or [%d %d]", labels.Shape, logits.Shape, n, n, c)
	}
	eps := l.cfg.LabelSmoothing
	t := make([]float64, c)
	p := make([]float32, c)
	grad := tensor.New(n, c)
	var total, denom float64
	for i := 0; i < n; i++ {
		// t is the row's weighted target; the loss is -Σ t·logp.
		if sparse {
			v := labels.Data[i]
			y := int(v)
			if float32(y) != v || y < 0 || y >= c {
				return 0, fmt.Errorf("cross-entropy: label %g at row %d is not a class in [0, %d)", v, i, c)
			}
			for k := range t {
				t[k] = eps / float64(c) * l.weight(k)
			}
			t[y] += (1 - eps) * l.weight(y)
			denom += l.weight(y)
		} else {
			for k := range t {
				t[k] = ((1-eps)*float64(labels.Data[i*c+k]) + eps/float64(c)) * l.weight(k)
			}
			denom++
		}
		row := logits.Data[i*c : (i+1)*c]
		lse := logSumExp(row)
		softmaxRow(row, p)
		var tsum float64
		for k, tk := range t {
			total -= tk * (float64(row[k]) - lse)
			tsum += tk
		}
		g := grad.Data[i*c : (i+1)*c]
		for k := range g {
			g[k] = float32(tsum*float64(p[k]) - t[k])
		}
	}
	if denom == 0 {
		return 0, fmt.Errorf("cross-entropy: the labels' class weights sum to zero")
	}
	inv := float32(1 / denom)
	for i := range grad.Data {
		grad.Data[i] *= inv
	}
	l.grad = grad
	return total / denom, nil
}

// Backward returns dLoss/dLogits for the last Forward.
func (l *SoftmaxCrossEntropy) Backward() (*tensor.Tensor, error) {
	if l.grad == nil {
		return nil, fmt.Errorf("cross-entropy: Backward without a successful Forward")
	}
	g := l.grad
	l.grad = nil
	return g, nil
}

// logSumExp returns log Σ exp(x) computed stably in float64.
func logSumExp(x []float32) float64 {
	m := float64(x[0])
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

func shapeOf(t *tensor.Tensor) []int {
	if t == nil {
		return nil
	}
	return t.Shape
}

// BinaryCrossEntropy is the mean binary cross-entropy of sigmoid(logits)
// against targets in [0, 1] of the same shape, computed from the logits
// for numerical stability (PyTorch's BCEWithLogitsLoss).
type BinaryCrossEntropy struct {
	posWeight []float32
	grad      *tensor.Tensor
}

// NewBinaryCrossEntropy returns the loss. posWeight, when not nil, weights
// the positive term of each class (the logits' last axis), as PyTorch's
// pos_weight.
func NewBinaryCrossEntropy(posWeight []float32) *BinaryCrossEntropy {
	return &BinaryCrossEntropy{posWeight: append([]float32(nil), posWeight...)}
}

// Forward returns the mean loss over every element and keeps the gradient.
func (l *BinaryCrossEntropy) Forward(logits, labels *tensor.Tensor) (float64, error) {
	l.grad = nil
	if logits == nil || labels == nil || !tensor.SameShape(logits, labels) || logits.Size() == 0 {
		return 0, fmt.Errorf("binary cross-entropy: labels %v for logits %v: shapes must match", shapeOf(labels), shapeOf(logits))
	}
	c := logits.Dim(-1)
	if len(l.posWeight) > 0 && len(l.posWeight) != c {
		return 0, fmt.Errorf("binary cross-entropy: %d positive weights for logits %v", len(l.posWeight), logits.Shape)
	}
	grad := tensor.New(logits.Shape...)
	inv := 1 / float64(logits.Size())
	var total float64
	for i, xv := range logits.Data {
		x, y := float64(xv), float64(labels.Data[i])
		lw := 1.0
		if len(l.posWeight) > 0 {
			lw = 1 + (float64(l.posWeight[i%c])-1)*y
		}
		// (1-y)·x + lw·softplus(-x), softplus(-x) = log1p(exp(-|x|)) + max(-x, 0).
		total += (1-y)*x + lw*(math.Log1p(math.Exp(-math.Abs(x)))+math.Max(-x, 0))
		sigNeg := 1 / (1 + math.Exp(x)) // σ(-x) = 1 - σ(x)
		grad.Data[i] = float32(((1 - y) - lw*sigNeg) * inv)
	}
	l.grad = grad
	return total * inv, nil
}

// Backward returns dLoss/dLogits for the last Forward.
func (l *BinaryCrossEntropy) Backward() (*tensor.Tensor, error) {
	if l.grad == nil {
		return nil, fmt.Errorf("binary cross-entropy: Backward without a successful Forward")
	}
	g := l.grad
	l.grad = nil
	return g, nil
}
