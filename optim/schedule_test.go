package optim

import (
	"bytes"
	"math"
	"testing"
)

type scheduleFixture struct {
	Cases []struct {
		Name           string         `json:"name"`
		Kind           string         `json:"kind"`
		BaseLR         float64        `json:"base_lr"`
		StepSize       int            `json:"step_size"`
		Gamma          float64        `json:"gamma"`
		MinLR          float64        `json:"min_lr"`
		WarmupSteps    int            `json:"warmup_steps"`
		WarmupStart    float64        `json:"warmup_start"`
		TotalSteps     int            `json:"total_steps"`
		MaxLR          float64        `json:"max_lr"`
		PctStart       float64        `json:"pct_start"`
		DivFactor      float64        `json:"div_factor"`
		FinalDivFactor float64        `json:"final_div_factor"`
		Plateau        map[string]any `json:"plateau"`
		Metrics        []float64      `json:"metrics"`
		LRs            []float64      `json:"lrs"`
	} `json:"cases"`
}

func TestScheduleTorchParity(t *testing.T) {
	var fx scheduleFixture
	readFixture(t, "schedule_cases.json", &fx)
	if len(fx.Cases) != 10 {
		t.Fatalf("fixture has %d cases, want 10", len(fx.Cases))
	}
	for _, c := range fx.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var s Schedule
			switch c.Kind {
			case "step":
				s = StepDecay{BaseLR: c.BaseLR, StepSize: c.StepSize, Gamma: c.Gamma}
			case "exponential":
				s = Exponential{BaseLR: c.BaseLR, Gamma: c.Gamma}
			case "cosine":
				s = WarmupCosine{BaseLR: c.BaseLR, MinLR: c.MinLR, WarmupSteps: c.WarmupSteps,
					WarmupStart: c.WarmupStart, TotalSteps: c.TotalSteps}
			case "onecycle":
				oc := OneCycle{MaxLR: c.MaxLR, TotalSteps: c.TotalSteps, PctStart: c.PctStart,
					DivFactor: c.DivFactor, FinalDivFactor: c.FinalDivFactor}
				if err := oc.Validate(); err != nil {
					t.Fatal(err)
				}
				s = oc
			case "plateau":
				p := c.Plateau
				cfg := PlateauConfig{Mode: p["mode"].(string), Factor: p["factor"].(float64),
					Patience: int(p["patience"].(float64)), Threshold: p["threshold"].(float64),
					ThresholdMode: p["threshold_mode"].(string), Cooldown: int(p["cooldown"].(float64)),
					MinLR: p["min_lr"].(float64), Eps: p["eps"].(float64)}
				r, err := NewReduceOnPlateau(c.BaseLR, cfg)
				if err != nil {
					t.Fatal(err)
				}
				for i, m := range c.Metrics {
					if got, _ := r.Observe(m); !closeRel(got, c.LRs[i], 1e-12, 0) {
						t.Fatalf("epoch %d: lr %.17g, torch %.17g", i, got, c.LRs[i])
					}
				}
				return
			default:
				t.Fatalf("unknown kind %q", c.Kind)
			}
			for i, want := range c.LRs {
				if got := s.LR(i); !closeRel(got, want, 1e-12, 0) {
					t.Fatalf("t=%d: lr %.17g, torch %.17g", i, got, want)
				}
			}
		})
	}
}

func TestScheduleEdges(t *testing.T) {
	w := WarmupCosine{BaseLR: 1, MinLR: 0.1, WarmupSteps: 4, TotalSteps: 10}
	if got := w.LR(-3); got != 0 {
		t.Errorf("warm-up at t<0: %v, want 0", got)
	}
	if got := w.LR(2); got != 0.5 {
		t.Errorf("warm-up midpoint: %v, want 0.5", got)
	}
	if got := w.LR(50); got != 0.1 {
		t.Errorf("after the end: %v, want MinLR 0.1", got)
	}
	o := OneCycle{MaxLR: 1, TotalSteps: 10}
	if got, want := o.LR(100), 1.0/25/1e4; math.Abs(got-want) > 1e-18 {
		t.Errorf("one-cycle past the end: %v, want %v", got, want)
	}
	if err := (OneCycle{MaxLR: 1, TotalSteps: 10, PctStart: 1.5}).Validate(); err == nil {
		t.Error("pct_start 1.5: want error")
	}
	if got := (StepDecay{BaseLR: 2, StepSize: 0, Gamma: 0.5}).LR(7); got != 2 {
		t.Errorf("step size 0: %v, want no decay", got)
	}
	if got := (Constant{Rate: 0.3}).LR(99); got != 0.3 {
		t.Errorf("constant: %v", got)
	}
	if _, err := NewReduceOnPlateau(0.1, PlateauConfig{Mode: "up", Factor: 0.1, ThresholdMode: "rel"}); err == nil {
		t.Error("mode up: want error")
	}
	if _, err := NewReduceOnPlateau(0.1, PlateauConfig{Mode: "min", Factor: 1, ThresholdMode: "rel"}); err == nil {
		t.Error("factor 1: want error")
	}
}

func TestPlateauNaNIsNotBetter(t *testing.T) {
	cfg := DefaultPlateauConfig()
	cfg.Patience = 0
	r, err := NewReduceOnPlateau(1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.Observe(1)
	if lr, reduced := r.Observe(math.NaN()); !reduced || lr != 0.1 {
		t.Fatalf("NaN metric: lr %v reduced %v, want 0.1 true", lr, reduced)
	}
}

func TestScheduleStateRoundTrip(t *testing.T) {
	plateau, err := NewReduceOnPlateau(0.1, PlateauConfig{Mode: "min", Factor: 0.5, Patience: 1,
		Threshold: 1e-3, ThresholdMode: "rel", Cooldown: 1, MinLR: 1e-3, Eps: 1e-8})
	if err != nil {
		t.Fatal(err)
	}
	metrics := []float64{1, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85}
	for _, m := range metrics[:4] {
		plateau.Observe(m)
	}
	schedules := []Schedule{
		Constant{Rate: 0.01},
		StepDecay{BaseLR: 0.1, StepSize: 3, Gamma: 0.3},
		Exponential{BaseLR: 0.1, Gamma: 0.97},
		WarmupCosine{BaseLR: 0.1, MinLR: 1e-5, WarmupSteps: 5, WarmupStart: 0.01, TotalSteps: 50},
		OneCycle{MaxLR: 0.3, TotalSteps: 40, PctStart: 0.25},
		plateau,
	}
	for _, s := range schedules {
		data, err := MarshalSchedule(s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalSchedule(data)
		if err != nil {
			t.Fatalf("%T: %v", s, err)
		}
		again, _ := MarshalSchedule(back)
		if !bytes.Equal(data, again) {
			t.Fatalf("%T: round trip changed bytes:\n%s\n%s", s, data, again)
		}
		for i := 0; i < 60; i++ {
			if a, b := s.LR(i), back.LR(i); math.Float64bits(a) != math.Float64bits(b) {
				t.Fatalf("%T: t=%d: %v vs restored %v", s, i, a, b)
			}
		}
	}
	// The restored plateau schedule continues exactly as the original.
	data, _ := MarshalSchedule(plateau)
	back, _ := UnmarshalSchedule(data)
	restored := back.(*ReduceOnPlateau)
	reductions := 0
	for _, m := range metrics[4:] {
		a, ra := plateau.Observe(m)
		b, rb := restored.Observe(m)
		if a != b || ra != rb {
			t.Fatalf("metric %v: original %v %v, restored %v %v", m, a, ra, b, rb)
		}
		if ra {
			reductions++
		}
	}
	if reductions == 0 {
		t.Fatal("test sequence never reduced the rate")
	}
	for _, bad := range []string{``, `{}`, `{"version":2,"kind":"step","state":{}}`,
		`{"version":1,"kind":"warp","state":{}}`, `{"version":1,"kind":"step","state":{"gamma":"x"}}`,
		`{"version":1,"kind":"reduce_on_plateau","state":{"config":{"mode":"min"},"lr":0.1}}`} {
		if _, err := UnmarshalSchedule([]byte(bad)); err == nil {
			t.Errorf("UnmarshalSchedule(%q): want error", bad)
		}
	}
}
