package tflite

import (
	"path/filepath"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// forwardFunc runs an imported model on a float input and returns the
// tensors the golden checks read, by tensor index.
type forwardFunc func(t *testing.T, p *Plan, x *tensor.Tensor) map[int]*tensor.Tensor

func planForward(t *testing.T, p *Plan, x *tensor.Tensor) map[int]*tensor.Tensor {
	t.Helper()
	vals, err := runPlan(p, x)
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

func loadPlan(t *testing.T, path string) *Plan {
	t.Helper()
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(f)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var goldenClassifiers = []string{"mobilenet_v1_0.25_128_quant", "mobilenet_v2_1.0_224_quant", "tf2_mobilenet_v2_1.0_224_ptq"}

// checkClassifierGolden runs a quantised classifier's 8 golden photos and
// asserts the README's tight (float_numpy) and loose (Arm NN) assertions.
func checkClassifierGolden(t *testing.T, stem string, forward forwardFunc) map[string][]float32 {
	shared := sharedDir(t)
	g := readGolden(t, shared, stem+".json")
	p := loadPlan(t, filepath.Join(shared, "coral", stem+".tflite"))
	if p.Logits < 0 {
		t.Fatalf("%s: no logits tensor found before the softmax", stem)
	}
	q := inputQuantization(p.Tensors[p.Input])
	probs := map[string][]float32{}
	for _, r := range g.Results {
		x := readInput(t, shared, r.InputFile, p.InputShape, q)
		vals := forward(t, p, x)
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
	ep := loadPlan(t, filepath.Join(shared, "coral", "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"))
	hp := loadPlan(t, filepath.Join(shared, "coral", "tools_mobilenet_quant_v1_224_head_layers.tflite"))
	if hp.Logits < 0 {
		t.Fatal("head: no logits tensor found before the softmax")
	}
	q := inputQuantization(ep.Tensors[ep.Input])
	for _, r := range g.Results {
		x := readInput(t, shared, r.InputFile, ep.InputShape, q)
		emb := extract(t, ep, x)[ep.Outputs[0]]
		checkTight(t, r.Photo+" embedding", emb.Data, r.FloatNumpy.Embedding, 1e-3)
		if c := cosine(emb.Data, r.Embedding); c < 0.998 {
			t.Errorf("%s: embedding cosine %.5f against Arm NN, want >= 0.998", r.Photo, c)
		}
		e, err := emb.Clone().Reshape(hp.InputShape...)
		if err != nil {
			t.Fatal(err)
		}
		vals := head(t, hp, e)
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
