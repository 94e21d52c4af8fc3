package optim

import (
	"testing"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// benchParams returns one parameter of n elements with a gradient.
func benchParams(n int) []*nn.Param {
	p := nn.NewParam("w", tensor.New(n))
	g := p.EnsureGrad()
	for i := range g.Data {
		g.Data[i] = float32(i%7) - 3
	}
	return []*nn.Param{p}
}

func BenchmarkStep(b *testing.B) {
	const n = 1 << 22
	for kind, ctor := range optimizerKinds() {
		b.Run(kind, func(b *testing.B) {
			opt, err := ctor(1e-3, []Group{{Params: benchParams(n)}})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(4 * n)
			for b.Loop() {
				if err := opt.Step(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkClipGradNorm(b *testing.B) {
	params := benchParams(1 << 22)
	b.SetBytes(4 << 22)
	for b.Loop() {
		if _, err := ClipGradNorm(params, 1e9); err != nil {
			b.Fatal(err)
		}
	}
}
