package safetensors

import (
	"bytes"
	"math"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// FuzzRead decodes arbitrary bytes. It must never panic; a file it accepts
// must hold consistent tensors, no more float32 values than the input has
// bytes, and survive an F32 write-and-read round trip bit for bit. The seed
// corpus in testdata/fuzz/FuzzRead was made by testdata/gencorpus.
func FuzzRead(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Decode(data, "fuzz")
		if err != nil {
			return
		}
		total := 0
		for _, e := range got.Entries {
			if tensor.Numel(e.Tensor.Shape) != len(e.Tensor.Data) {
				t.Fatalf("%q: shape %v with %d values", e.Name, e.Tensor.Shape, len(e.Tensor.Data))
			}
			total += len(e.Tensor.Data)
		}
		if total > len(data) {
			t.Fatalf("%d values from %d bytes", total, len(data))
		}
		var buf bytes.Buffer
		if err := Encode(&buf, got.Entries, got.Metadata); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := Decode(buf.Bytes(), "fuzz-again")
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if len(again.Entries) != len(got.Entries) || len(again.Metadata) != len(got.Metadata) {
			t.Fatalf("round trip: %v -> %v", got.Names(), again.Names())
		}
		for i, e := range got.Entries {
			a := again.Entries[i]
			if a.Name != e.Name || !tensor.SameShape(a.Tensor, e.Tensor) {
				t.Fatalf("round trip: %q %v -> %q %v", e.Name, e.Tensor.Shape, a.Name, a.Tensor.Shape)
			}
			for j, v := range e.Tensor.Data {
				if math.Float32bits(a.Tensor.Data[j]) != math.Float32bits(v) {
					t.Fatalf("round trip %q[%d]: %v -> %v", e.Name, j, v, a.Tensor.Data[j])
				}
			}
		}
		for k, v := range got.Metadata {
			if again.Metadata[k] != v {
				t.Fatalf("metadata %q: %q -> %q", k, v, again.Metadata[k])
			}
		}
	})
}
