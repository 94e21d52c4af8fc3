package tflite

import (
	"path/filepath"
	"testing"
	"time"
)

func TestPlanGoldenV1Small(t *testing.T) {
	shared := sharedDir(t)
	g := readGolden(t, shared, "mobilenet_v1_0.25_128_quant.json")
	f, err := ReadFile(filepath.Join(shared, "coral", "mobilenet_v1_0.25_128_quant.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(f)
	if err != nil {
		t.Fatal(err)
	}
	q := inputQuantization(f.Subgraphs[0].Tensors[p.Input])
	for _, r := range g.Results {
		start := time.Now()
		x := readInput(t, shared, r.InputFile, p.InputShape, q)
		vals, err := runPlan(p, x)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %v", r.Photo, time.Since(start))
		prob := vals[p.Outputs[0]].Data
		checkTight(t, r.Photo+" logits", vals[p.Logits].Data, r.FloatNumpy.Logits, 1e-3)
		checkTight(t, r.Photo+" prob", prob, r.FloatNumpy.Prob, 1e-4)
		checkTop5(t, r.Photo, prob, r.FloatNumpy.Top5)
		checkLoose(t, r.Photo, prob, r.Raw, r.Prob)
	}
}
