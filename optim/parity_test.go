package optim

import (
	"fmt"
	"math"
	"testing"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

type optimFixture struct {
	Cases []optimCase `json:"cases"`
}

type optimCase struct {
	Name   string                 `json:"name"`
	Kind   string                 `json:"kind"`
	Config map[string]any         `json:"config"`
	Groups []fixtureGroup         `json:"groups"`
	LRs    []float64              `json:"base_lrs"`
	Params []fixtureParam         `json:"params"`
	Traj   []map[string][]float64 `json:"trajectory"`
}

type fixtureGroup struct {
	Params      []string `json:"params"`
	LRScale     float64  `json:"lr_scale"`
	WeightDecay *float64 `json:"weight_decay"`
}

type fixtureParam struct {
	Name  string      `json:"name"`
	Shape []int       `json:"shape"`
	Init  []float64   `json:"init"`
	Grads [][]float64 `json:"grads"`
}

func num(cfg map[string]any, key string, def float64) float64 {
	if v, ok := cfg[key].(float64); ok {
		return v
	}
	return def
}

func cfgFlag(cfg map[string]any, key string) bool {
	v, _ := cfg[key].(bool)
	return v
}

func betas(cfg map[string]any) (float64, float64) {
	if b, ok := cfg["betas"].([]any); ok && len(b) == 2 {
		return b[0].(float64), b[1].(float64)
	}
	return 0.9, 0.999
}

// buildCase makes the parameters and the optimizer a fixture case describes.
func buildCase(c optimCase) (Optimizer, map[string]*nn.Param, error) {
	params := map[string]*nn.Param{}
	for _, fp := range c.Params {
		v, err := tensor.FromData(f32s(fp.Init), fp.Shape...)
		if err != nil {
			return nil, nil, err
		}
		params[fp.Name] = nn.NewParam(fp.Name, v)
	}
	var groups []Group
	for _, fg := range c.Groups {
		g := Group{LRScale: fg.LRScale, WeightDecay: fg.WeightDecay}
		for _, n := range fg.Params {
			g.Params = append(g.Params, params[n])
		}
		groups = append(groups, g)
	}
	cfg := c.Config
	lr := num(cfg, "lr", 0)
	var opt Optimizer
	var err error
	switch c.Kind {
	case "sgd":
		opt, err = NewSGD(SGDConfig{LR: lr, Momentum: num(cfg, "momentum", 0), Dampening: num(cfg, "dampening", 0),
			Nesterov: cfgFlag(cfg, "nesterov"), WeightDecay: num(cfg, "weight_decay", 0)}, groups...)
	case "adam", "adamw":
		b1, b2 := betas(cfg)
		wdDefault := 0.0
		if c.Kind == "adamw" {
			wdDefault = 1e-2
		}
		ac := AdamConfig{LR: lr, Beta1: b1, Beta2: b2, Eps: num(cfg, "eps", 1e-8),
			WeightDecay: num(cfg, "weight_decay", wdDefault), AMSGrad: cfgFlag(cfg, "amsgrad")}
		if c.Kind == "adam" {
			opt, err = NewAdam(ac, groups...)
		} else {
			opt, err = NewAdamW(ac, groups...)
		}
	case "rmsprop":
		opt, err = NewRMSprop(RMSpropConfig{LR: lr, Alpha: num(cfg, "alpha", 0.99), Eps: num(cfg, "eps", 1e-8),
			WeightDecay: num(cfg, "weight_decay", 0), Momentum: num(cfg, "momentum", 0),
			Centered: cfgFlag(cfg, "centered")}, groups...)
	default:
		err = fmt.Errorf("unknown kind %q", c.Kind)
	}
	return opt, params, err
}

// setGrads installs the fixture's gradients for step s.
func setGrads(c optimCase, params map[string]*nn.Param, s int) {
	for _, fp := range c.Params {
		g, _ := tensor.FromData(f32s(fp.Grads[s]), fp.Shape...)
		params[fp.Name].Grad = g
	}
}

// TestTorchParity replays torch.optim trajectories (5 steps, three
// parameters, fixed gradients, some tiny to exercise eps, base-rate changes
// mid-run for the group cases) and requires every parameter value within
// 1e-6 relative to max(|torch value|, 1): float32 rounding differences are
// proportional to the parameters' scale (about 1), not to each value, so
// values near zero get the same absolute budget.
func TestTorchParity(t *testing.T) {
	var fx optimFixture
	readFixture(t, "optim_cases.json", &fx)
	if len(fx.Cases) < 15 {
		t.Fatalf("fixture has %d cases, want at least 15", len(fx.Cases))
	}
	for _, c := range fx.Cases {
		t.Run(c.Name, func(t *testing.T) {
			opt, params, err := buildCase(c)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for s := range c.Traj {
				setGrads(c, params, s)
				if err := opt.SetLR(c.LRs[s]); err != nil {
					t.Fatal(err)
				}
				if err := opt.Step(); err != nil {
					t.Fatalf("step %d: %v", s, err)
				}
				for name, want := range c.Traj[s] {
					got := params[name].Value.Data
					for i, w := range want {
						g := float64(got[i])
						if !closeRel(g, w, 1e-6, 1) {
							t.Fatalf("step %d %s[%d] = %.9g, torch %.9g", s+1, name, i, g, w)
						}
						if w != 0 {
							worst = math.Max(worst, math.Abs(g-w)/math.Abs(w))
						}
					}
				}
			}
			// The update must have moved parameters: compare against init.
			moved := false
			for _, fp := range c.Params {
				for i, v := range fp.Init {
					if float32(v) != params[fp.Name].Value.Data[i] {
						moved = true
					}
				}
			}
			if !moved {
				t.Fatal("parameters did not change")
			}
			t.Logf("max relative error %.3g", worst)
		})
	}
}
