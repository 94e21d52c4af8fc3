package safetensors

import (
	"path/filepath"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// BenchmarkRead reads a 64 MiB file of F32 tensors (ResNet-50 is ~100 MB).
func BenchmarkRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.safetensors")
	var entries []Entry
	for i := range 16 {
		entries = append(entries, Entry{Name: "layer" + string(rune('a'+i)), Tensor: tensor.New(1 << 20)})
	}
	if err := Write(path, entries, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(16 << 22)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Read(path); err != nil {
			b.Fatal(err)
		}
	}
}
