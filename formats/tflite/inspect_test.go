package tflite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInspectSynth(t *testing.T) {
	path := filepath.Join(t.TempDir(), "head.tflite")
	if err := os.WriteFile(path, synthHead().bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := Inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Layers) != 4 || info.Params != 16 || info.Logits != "logits" || info.Operators["FULLY_CONNECTED"] != 1 {
		t.Fatalf("info %+v", info)
	}
	if l := info.Layers[2]; l.Kind != KindDense || l.Params != 16 || l.Name != "logits" {
		t.Fatalf("dense layer %+v", l)
	}
	s := info.String()
	for _, want := range []string{"input: input [1 2 2 3] FLOAT32", "output: prob [1 4] FLOAT32", "FULLY_CONNECTED x1", "layers: 4, parameters: 16"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}

func TestInspectCoralV2(t *testing.T) {
	shared := sharedDir(t)
	info, err := Inspect(filepath.Join(shared, "coral", "mobilenet_v2_1.0_224_quant.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	// Keras's MobileNetV2 1.0 has 3,504,872 trainable parameters for 1000
	// classes, 34,112 of them BatchNorm gamma and beta over 17,056 channels.
	// Folding BatchNorm leaves one bias per channel: 3,504,872 - 34,112 +
	// 17,056 = 3,487,816, and the 1001st class adds 1280 + 1.
	if info.Params != 3489097 || info.Operators["CONV_2D"] != 36 || info.Operators["DEPTHWISE_CONV_2D"] != 17 {
		t.Errorf("parameters %d, operators %v", info.Params, info.Operators)
	}
	if q := info.InputQuant; !q.Quantized || q.Scale != 0.0078125 || q.ZeroPoint != 128 {
		t.Errorf("input quantisation %+v", q)
	}
	if info.Logits == "" || len(info.Outputs) != 1 || info.Outputs[0].Name != "MobilenetV2/Predictions/Softmax" {
		t.Errorf("outputs %v, logits %q", info.Outputs, info.Logits)
	}
}
