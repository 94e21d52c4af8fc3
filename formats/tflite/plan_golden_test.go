package tflite

import (
	"path/filepath"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// forwardFunc runs an imported model on a float input and returns the
// tensors the golden checks read, by tensor index.
type forwardFunc func(t *testing.T, m *Model, x *tensor.Tensor) map[int]*tensor.Tensor

// planForward runs the plan with the reference interpreter.
func planForward(t *testing.T, m *Model, x *tensor.Tensor) map[int]*tensor.Tensor {
	t.Helper()
	vals, err := runPlan(m.Plan, x)
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

// graphForward runs the nn.Graph (loaded with the logits as an extra
// output when the model has them).
func graphForward(t *testing.T, m *Model, x *tensor.Tensor) map[int]*tensor.Tensor {
	t.Helper()
	outs, err := m.Graph.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	vals := map[int]*tensor.Tensor{}
	for i, o := range m.Plan.Outputs {
		vals[o] = outs[i]
	}
	if m.Plan.Logits >= 0 {
		vals[m.Plan.Logits] = outs[len(outs)-1]
	}
	return vals
}

func loadModel(t *testing.T, path string) *Model {
	t.Helper()
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(f)
	if err != nil {
		t.Fatal(err)
	}
	m, err := FromFile(f, Options{Logits: p.Logits >= 0})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var goldenClassifiers = []string{"mobilenet_v1_0.25_128_quant", "mobilenet_v2_1.0_224_quant", "tf2_mobilenet_v2_1.0_224_ptq"}

// checkClassifierGolden runs a quantised classifier's 8 golden photos and
// asserts the README's tight (float_numpy) and loose (Arm NN) assertions.
func checkClassifierGolden(t *testing.T, stem string, forward forwardFunc) map[string][]float32 {
	shared := sharedDir(t)
	g := readGolden(t, shared, stem+".json")
	m := loadModel(t, filepath.Join(shared, "coral", stem+".tflite"))
	p := m.Plan
	if p.Logits < 0 {
		t.Fatalf("%s: no logits tensor found before the softmax", stem)
	}
	q := inputQuantization(p.Tensors[p.Input])
	probs := map[string][]float32{}
	for _, r := range g.Results {
		x := readInput(t, shared, r.InputFile, p.InputShape, q)
		vals := forward(t, m, x)
		prob := vals[p.Outputs[0]].Data
		checkTight(t, r.Photo+" logits", vals[p.Logits].Data, r.FloatNumpy.Logits, 1e-3)
		checkTight(t, r.Photo+" prob", prob, r.FloatNumpy.Prob, 1e-4)
		checkTop5(t, r.Photo, prob, r.FloatNumpy.Top5)
		checkLoose(t, r.Photo, prob, r.Raw, r.Prob)
		probs[r.Photo] = prob
	}
	return probs
}

func TestPlanGoldenClassifiers(t *testing.T) {
	for _, stem := range goldenClassifiers {
		t.Run(stem, func(t *testing.T) {
			probs := checkClassifierGolden(t, stem, planForward)
			if stem == "mobilenet_v2_1.0_224_quant" {
				checkCoralV2Classes(t, probs)
			}
		})
	}
}

// checkCoralV2Classes asserts the Coral MobileNetV2's well-known answers.
func checkCoralV2Classes(t *testing.T, probs map[string][]float32) {
	for photo, want := range map[string]int{"cat.bmp": 286, "parrot.jpg": 89, "hot_dog.jpg": 935} {
		if got := topK(probs[photo], 1)[0]; got != want {
			t.Errorf("%s: top-1 %d, want %d", photo, got, want)
		}
	}
}

// checkEmbeddingGolden runs the embedding extractor and then the head on
// its float embedding, checking both against the golden data.
func checkEmbeddingGolden(t *testing.T, extract, head forwardFunc) {
	shared := sharedDir(t)
	g := readGolden(t, shared, "mobilenet_v1_1.0_224_quant_embedding_extractor.json")
	em := loadModel(t, filepath.Join(shared, "coral", "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"))
	hm := loadModel(t, filepath.Join(shared, "coral", "tools_mobilenet_quant_v1_224_head_layers.tflite"))
	ep, hp := em.Plan, hm.Plan
	if hp.Logits < 0 {
		t.Fatal("head: no logits tensor found before the softmax")
	}
	q := inputQuantization(ep.Tensors[ep.Input])
	for _, r := range g.Results {
		x := readInput(t, shared, r.InputFile, ep.InputShape, q)
		emb := extract(t, em, x)[ep.Outputs[0]]
		checkTight(t, r.Photo+" embedding", emb.Data, r.FloatNumpy.Embedding, 1e-3)
		if c := cosine(emb.Data, r.Embedding); c < 0.998 {
			t.Errorf("%s: embedding cosine %.5f against Arm NN, want >= 0.998", r.Photo, c)
		}
		e, err := emb.Clone().Reshape(hp.InputShape...)
		if err != nil {
			t.Fatal(err)
		}
		vals := head(t, hm, e)
		prob := vals[hp.Outputs[0]].Data
		checkTight(t, r.Photo+" head logits", vals[hp.Logits].Data, r.FloatNumpy.HeadLogits, 1e-3)
		checkTight(t, r.Photo+" head prob", prob, r.FloatNumpy.HeadProb, 1e-4)
		checkTop5(t, r.Photo+" head", prob, r.FloatNumpy.HeadTop5)
		checkLoose(t, r.Photo+" head", prob, r.HeadArmnn.Raw, r.HeadArmnn.Prob)
	}
}

func TestPlanGoldenEmbeddingExtractor(t *testing.T) {
	checkEmbeddingGolden(t, planForward, planForward)
}

func TestGraphGoldenClassifiers(t *testing.T) {
	for _, stem := range goldenClassifiers {
		t.Run(stem, func(t *testing.T) {
			probs := checkClassifierGolden(t, stem, graphForward)
			if stem == "mobilenet_v2_1.0_224_quant" {
				checkCoralV2Classes(t, probs)
			}
		})
	}
}

func TestGraphGoldenEmbeddingExtractor(t *testing.T) {
	checkEmbeddingGolden(t, graphForward, graphForward)
}
