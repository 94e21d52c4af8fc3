package keras

import (
	"os"
	"testing"
)

// fuzzLimits lowers the weight budget so that fuzzed configs cannot
// allocate much.
func fuzzLimits(t testing.TB) {
	old := maxWeights
	maxWeights = 1 << 20
	t.Cleanup(func() { maxWeights = old })
}

// FuzzModelJSON builds graphs from arbitrary model configs: errors are
// fine, panics are not.
func FuzzModelJSON(f *testing.F) {
	for _, p := range []string{"testdata/tiny_k2.json", "testdata/tiny_k3.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "2.13.1")
	}
	f.Add([]byte(`{"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"units": 2, "batch_input_shape": [null, 3]}}]}`), "2.1.6")
	f.Fuzz(func(t *testing.T, config []byte, version string) {
		fuzzLimits(t)
		m, err := FromConfig(config, version)
		if err == nil && (m.Graph == nil || m.InputName == "" || m.OutputName == "") {
			t.Fatalf("model without graph, input or output: %+v", m)
		}
	})
}

// FuzzTFJS loads arbitrary model.json files whose every shard reads as the
// given bytes.
func FuzzTFJS(f *testing.F) {
	mj, err := os.ReadFile("testdata/fuzz_tfjs/model.json")
	if err != nil {
		f.Fatal(err)
	}
	shard, err := os.ReadFile("testdata/fuzz_tfjs/group1-shard1of1.bin")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(mj, shard)
	f.Fuzz(func(t *testing.T, modelJSON, shard []byte) {
		fuzzLimits(t)
		m, err := ParseTFJS(modelJSON, "model.json", func(string) ([]byte, error) { return shard, nil })
		if err == nil && !m.loaded {
			t.Fatal("model returned without its weights")
		}
	})
}

// TestFuzzSeedModel checks the FuzzTFJS seed is a valid model, so the fuzzer
// starts from the success path.
func TestFuzzSeedModel(t *testing.T) {
	m, err := Load("testdata/fuzz_tfjs")
	if err != nil {
		t.Fatal(err)
	}
	if m.Classes != 2 {
		t.Fatalf("classes %d, want 2", m.Classes)
	}
}
