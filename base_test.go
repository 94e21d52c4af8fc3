package graft_test

import (
	"path/filepath"
	"testing"

	"github.com/graft-ml/graft"
)

// TestBaseFromFileCutsBeforeTheClassifier checks where a file's base ends:
// before Coral's 1x1-convolution classifier (behind its softmax and
// reshapes), and at the output of an embedding extractor, which has none.
func TestBaseFromFileCutsBeforeTheClassifier(t *testing.T) {
	shared := sharedDir(t)
	cases := map[string]string{
		"mobilenet_v1_0.25_128_quant.tflite":                    "MobilenetV1.Logits.AvgPool_1a.AvgPool",
		"mobilenet_v1_1.0_224_quant_embedding_extractor.tflite": "MobilenetV1.Logits.AvgPool_1a.AvgPool",
	}
	for file, want := range cases {
		b, err := graft.BaseFromFile(filepath.Join(shared, "models", "coral", file), "")
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Network().Feature; got != want {
			t.Errorf("%s: base ends at %q, want %q", file, got, want)
		}
		if len(b.Network().Blocks) < 10 {
			t.Errorf("%s: %d blocks; want one per convolution", file, len(b.Network().Blocks))
		}
	}
	if _, err := graft.BaseFromFile(filepath.Join(shared, "models", "coral", "mobilenet_v1_0.25_128_quant.tflite"), "no-such-node"); err == nil {
		t.Error("cutting at a missing node succeeded")
	}
}
