package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// Reference values come from PyTorch: nn/testdata/loss_reference.py.
var (
	lossLogits = []float32{1, -2, 0.5, 3, 0, 0.25, -1, 2, -3, 1.5, 2.5, -0.5}
	lossLabels = []float32{3, 0, 2}
	lossProbs  = []float32{0.1, 0.2, 0.3, 0.4, 1, 0, 0, 0, 0, 0.5, 0.5, 0}
	lossW      = []float32{1, 2, 0.5, 3}
	bceTargets = []float32{1, 0, 0.5, 1, 0, 1, 0, 0.25, 1, 1, 0, 0}
)

func mustTensor(t *testing.T, data []float32, shape ...int) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromData(append([]float32(nil), data...), shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// checkLossGrads compares Backward with central differences of Forward.
func checkLossGrads(t *testing.T, name string, l Loss, logits, labels *tensor.Tensor) {
	t.Helper()
	if _, err := l.Forward(logits, labels); err != nil {
		t.Fatal(err)
	}
	g, err := l.Backward()
	if err != nil {
		t.Fatal(err)
	}
	const eps = 1e-2
	for i := range logits.Data {
		old := logits.Data[i]
		logits.Data[i] = old + eps
		lp, _ := l.Forward(logits, labels)
		logits.Data[i] = old - eps
		lm, _ := l.Forward(logits, labels)
		logits.Data[i] = old
		n := (lp - lm) / (2 * eps)
		if a := float64(g.Data[i]); math.Abs(a-n) > 1e-4+1e-3*math.Abs(n) {
			t.Errorf("%s: dLoss/dlogit[%d] analytic %.7g, numeric %.7g", name, i, a, n)
		}
	}
}

func TestLossesMatchPyTorch(t *testing.T) {
	ce := func(smooth float64, w []float32) Loss {
		l, err := NewSoftmaxCrossEntropy(CrossEntropyConfig{LabelSmoothing: smooth, ClassWeights: w})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	cases := []struct {
		name   string
		loss   Loss
		labels *tensor.Tensor
		want   float64
	}{
		{"ce_int", ce(0, nil), mustTensor(t, lossLabels, 3), 0.9536056950320869},
		{"ce_int_smooth", ce(0.1, nil), mustTensor(t, lossLabels, 3), 1.1015223616987535},
		{"ce_int_weight", ce(0, lossW), mustTensor(t, lossLabels, 3), 0.6865285717782328},
		{"ce_int_weight_smooth", ce(0.2, lossW), mustTensor(t, lossLabels, 3), 1.0197263135684274},
		{"ce_prob", ce(0, nil), mustTensor(t, lossProbs, 3, 4), 1.7702723616987537},
		{"ce_prob_weight_smooth", ce(0.2, lossW), mustTensor(t, lossProbs, 3, 4), 2.491276576045473},
		{"bce", NewBinaryCrossEntropy(nil), mustTensor(t, bceTargets, 3, 4), 0.893758140112015},
		{"bce_pos_weight", NewBinaryCrossEntropy([]float32{2, 0.5, 1, 3}), mustTensor(t, bceTargets, 3, 4), 1.1549090900145262},
	}
	for _, c := range cases {
		logits := mustTensor(t, lossLogits, 3, 4)
		got, err := c.loss.Forward(logits, c.labels)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if math.Abs(got-c.want) > 1e-6 {
			t.Errorf("%s: loss %.9g, want %.9g", c.name, got, c.want)
		}
		checkLossGrads(t, c.name, c.loss, logits, c.labels)
	}
}

func TestBinaryCrossEntropyExtremeLogits(t *testing.T) {
	l := NewBinaryCrossEntropy(nil)
	got, err := l.Forward(mustTensor(t, []float32{100, -100}, 1, 2), mustTensor(t, []float32{0, 1}, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-100) > 1e-9 {
		t.Fatalf("loss %g, want 100", got)
	}
	g, _ := l.Backward()
	if g.Data[0] != 0.5 || g.Data[1] != -0.5 {
		t.Fatalf("gradient %v, want [0.5 -0.5]", g.Data)
	}
}

func TestLossBadInput(t *testing.T) {
	ce, _ := NewSoftmaxCrossEntropy(CrossEntropyConfig{})
	logits := mustTensor(t, lossLogits, 3, 4)
	if _, err := ce.Forward(logits, mustTensor(t, []float32{3, 4, 0}, 3)); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Fatalf("label out of range: %v", err)
	}
	if _, err := ce.Forward(logits, mustTensor(t, []float32{0.5, 1, 0}, 3)); err == nil {
		t.Fatal("fractional label accepted")
	}
	if _, err := ce.Forward(logits, tensor.New(4)); err == nil || !strings.Contains(err.Error(), "[4]") {
		t.Fatalf("wrong label count: %v", err)
	}
	if _, err := ce.Backward(); err == nil {
		t.Fatal("Backward after a failed Forward gave no error")
	}
	if _, err := NewSoftmaxCrossEntropy(CrossEntropyConfig{LabelSmoothing: 1.5}); err == nil {
		t.Fatal("smoothing 1.5 accepted")
	}
	w, _ := NewSoftmaxCrossEntropy(CrossEntropyConfig{ClassWeights: []float32{1, 2}})
	if _, err := w.Forward(logits, mustTensor(t, lossLabels, 3)); err == nil {
		t.Fatal("2 class weights for 4 classes accepted")
	}
	if _, err := NewBinaryCrossEntropy(nil).Forward(logits, tensor.New(3, 3)); err == nil {
		t.Fatal("bce shape mismatch accepted")
	}
}
