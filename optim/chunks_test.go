package optim

import (
	"math/rand/v2"
	"testing"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// TestLargeTensorMatchesSmall runs each optimizer on one tensor large
// enough to be split across workers and on the same numbers cut into small
// tensors updated on one goroutine; the rules are element-wise, so the
// results must agree bit for bit.
func TestLargeTensorMatchesSmall(t *testing.T) {
	const n = 3*grain + 5
	const piece = 1000
	r := rand.New(rand.NewPCG(3, 4))
	init := make([]float32, n)
	for i := range init {
		init[i] = float32(r.NormFloat64())
	}
	grads := make([][]float32, 3)
	for s := range grads {
		grads[s] = make([]float32, n)
		for i := range grads[s] {
			grads[s][i] = float32(r.NormFloat64())
		}
	}
	for kind, ctor := range optimizerKinds() {
		t.Run(kind, func(t *testing.T) {
			bigVal, _ := tensor.FromData(append([]float32(nil), init...), n)
			big := nn.NewParam("big", bigVal)
			var small []*nn.Param
			for off := 0; off < n; off += piece {
				end := min(off+piece, n)
				v, _ := tensor.FromData(append([]float32(nil), init[off:end]...), end-off)
				small = append(small, nn.NewParam(string(rune('a'+len(small)%26))+string(rune('0'+len(small)/26)), v))
			}
			bigOpt, err := ctor(0.01, []Group{{Params: []*nn.Param{big}}})
			if err != nil {
				t.Fatal(err)
			}
			smallOpt, err := ctor(0.01, []Group{{Params: small}})
			if err != nil {
				t.Fatal(err)
			}
			for s := range grads {
				big.Grad, _ = tensor.FromData(grads[s], n)
				for i, p := range small {
					off := i * piece
					p.Grad, _ = tensor.FromData(grads[s][off:off+len(p.Value.Data)], len(p.Value.Data))
				}
				if err := bigOpt.Step(); err != nil {
					t.Fatal(err)
				}
				if err := smallOpt.Step(); err != nil {
					t.Fatal(err)
				}
			}
			for i, p := range small {
				bitsEqual(t, p.Name, p.Value.Data, big.Value.Data[i*piece:])
			}
			if big.Value.Data[n-1] == init[n-1] {
				t.Fatal("last element not updated")
			}
		})
	}
}
