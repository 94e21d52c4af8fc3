package tflite

import (
	"path/filepath"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// BenchmarkLoadMobileNetV2 measures parsing, dequantising and building the
// graph of the Coral MobileNetV2 (3.6 MB, 3.5 M parameters).
func BenchmarkLoadMobileNetV2(b *testing.B) {
	path := filepath.Join(sharedDir(b), "coral", "mobilenet_v2_1.0_224_quant.tflite")
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkForwardMobileNetV2 measures one 224x224 image through the graph.
func BenchmarkForwardMobileNetV2(b *testing.B) {
	m, err := Load(filepath.Join(sharedDir(b), "coral", "mobilenet_v2_1.0_224_quant.tflite"))
	if err != nil {
		b.Fatal(err)
	}
	x := tensor.New(m.InputShape...)
	for i := range x.Data {
		x.Data[i] = float32(i%255)/127.5 - 1
	}
	for b.Loop() {
		if _, err := m.Graph.Forward([]*tensor.Tensor{x}, false); err != nil {
			b.Fatal(err)
		}
	}
}
