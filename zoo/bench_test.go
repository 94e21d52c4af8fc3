package zoo

import (
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// benchMobileNetV2 times a training step (forward and backward through the
// whole network, batch 32 at 32x32) of the demo's configuration.
func benchMobileNetV2(b *testing.B, width float64, training bool) {
	m, err := Build("mobilenet_v2", Options{IncludeTop: true, Classes: 10, InputH: 32, InputW: 32, Width: width})
	if err != nil {
		b.Fatal(err)
	}
	x := tensor.New(32, 32, 32, 3)
	for i := range x.Data {
		x.Data[i] = float32(i%17) / 17
	}
	dy := tensor.New(32, 10)
	for i := range dy.Data {
		dy.Data[i] = 0.01
	}
	b.ResetTimer()
	for range b.N {
		if _, err := m.Graph.Forward([]*tensor.Tensor{x}, training); err != nil {
			b.Fatal(err)
		}
		if training {
			if _, err := m.Graph.Backward([]*tensor.Tensor{dy}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkMobileNetV2W035Train32(b *testing.B)   { benchMobileNetV2(b, 0.35, true) }
func BenchmarkMobileNetV2W05Train32(b *testing.B)    { benchMobileNetV2(b, 0.5, true) }
func BenchmarkMobileNetV2W035Predict32(b *testing.B) { benchMobileNetV2(b, 0.35, false) }
