package optim

import (
	"math"
	"testing"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

type clipFixture struct {
	Cases []struct {
		Name    string      `json:"name"`
		Kind    string      `json:"kind"`
		Max     float64     `json:"max"`
		Total   float64     `json:"total_norm"`
		Grads   [][]float64 `json:"grads"`
		Shapes  [][]int     `json:"shapes"`
		Clipped [][]float64 `json:"clipped"`
	} `json:"cases"`
}

func TestClipTorchParity(t *testing.T) {
	var fx clipFixture
	readFixture(t, "clip_cases.json", &fx)
	if len(fx.Cases) != 4 {
		t.Fatalf("fixture has %d cases, want 4", len(fx.Cases))
	}
	for _, c := range fx.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var params []*nn.Param
			for i, g := range c.Grads {
				p := nn.NewParam(c.Name, tensor.New(c.Shapes[i]...))
				p.Grad, _ = tensor.FromData(f32s(g), c.Shapes[i]...)
				params = append(params, p)
			}
			if c.Kind == "norm" {
				norm, err := ClipGradNorm(params, c.Max)
				if err != nil {
					t.Fatal(err)
				}
				if !closeRel(norm, c.Total, 1e-6, 0) {
					t.Fatalf("norm %.9g, torch %.9g", norm, c.Total)
				}
			} else if err := ClipGradValue(params, c.Max); err != nil {
				t.Fatal(err)
			}
			for i, want := range c.Clipped {
				for j, w := range want {
					if got := float64(params[i].Grad.Data[j]); !closeRel(got, w, 1e-6, 1e-3) {
						t.Fatalf("grad %d[%d] = %.9g, torch %.9g", i, j, got, w)
					}
				}
			}
		})
	}
}

func TestClipSkipsFrozenAndNil(t *testing.T) {
	frozen := nn.NewParam("frozen", tensor.New(2))
	frozen.Trainable = false
	frozen.Grad, _ = tensor.FromData([]float32{30, 40}, 2)
	noGrad := nn.NewParam("nograd", tensor.New(2))
	live := nn.NewParam("live", tensor.New(2))
	live.Grad, _ = tensor.FromData([]float32{3, 4}, 2)
	norm, err := ClipGradNorm([]*nn.Param{frozen, noGrad, live}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if norm != 5 {
		t.Fatalf("norm %v, want 5 (frozen gradient must not count)", norm)
	}
	if frozen.Grad.Data[0] != 30 {
		t.Fatalf("frozen gradient changed to %v", frozen.Grad.Data[0])
	}
	if got := live.Grad.Data[0]; math.Abs(float64(got)-0.6) > 1e-6 {
		t.Fatalf("clipped gradient %v, want 0.6", got)
	}
}

func TestClipRejectsBadInput(t *testing.T) {
	p := nn.NewParam("w", tensor.New(2))
	p.Grad, _ = tensor.FromData([]float32{1, float32(math.Inf(1))}, 2)
	if _, err := ClipGradNorm([]*nn.Param{p}, 1); err == nil {
		t.Fatal("infinite gradient: want error")
	}
	if p.Grad.Data[0] != 1 {
		t.Fatal("gradient changed despite error")
	}
	if _, err := ClipGradNorm([]*nn.Param{p}, math.NaN()); err == nil {
		t.Fatal("NaN max norm: want error")
	}
	if err := ClipGradValue([]*nn.Param{p}, -1); err == nil {
		t.Fatal("negative limit: want error")
	}
	if err := ClipGradValue([]*nn.Param{p}, 0.5); err != nil || p.Grad.Data[1] != 0.5 {
		t.Fatalf("clip value: err %v, got %v, want 0.5", err, p.Grad.Data[1])
	}
}
