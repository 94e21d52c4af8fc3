package optim

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// testNet is a small set of named parameters: a head, a body, a frozen
// layer and a parameter whose gradient appears only from step 2 on.
type testNet struct {
	head, body, frozen, late *nn.Param
}

func newTestNet(seed uint64) *testNet {
	r := rand.New(rand.NewPCG(seed, 1))
	mk := func(name string, shape ...int) *nn.Param {
		v := tensor.New(shape...)
		for i := range v.Data {
			v.Data[i] = float32(r.NormFloat64())
		}
		return nn.NewParam(name, v)
	}
	n := &testNet{head: mk("head/kernel", 4, 3), body: mk("body/kernel", 2, 3, 5), frozen: mk("stem/kernel", 3), late: mk("head/bias", 3)}
	n.frozen.Trainable = false
	return n
}

func (n *testNet) all() []*nn.Param { return []*nn.Param{n.head, n.body, n.frozen, n.late} }

func (n *testNet) groups() []Group {
	return []Group{
		{Params: []*nn.Param{n.head, n.late}},
		{Params: []*nn.Param{n.body, n.frozen}, LRScale: 0.1, WeightDecay: WeightDecay(0.02)},
	}
}

// setGradsAt gives every parameter a deterministic gradient for step s.
func (n *testNet) setGradsAt(s int) {
	r := rand.New(rand.NewPCG(uint64(s), 2))
	for _, p := range n.all() {
		if p == n.late && s < 2 {
			p.Grad = nil
			continue
		}
		g := p.EnsureGrad()
		for i := range g.Data {
			g.Data[i] = float32(r.NormFloat64())
		}
	}
}

type optCtor func(lr float64, groups []Group) (Optimizer, error)

func optimizerKinds() map[string]optCtor {
	return map[string]optCtor{
		"sgd": func(lr float64, g []Group) (Optimizer, error) {
			return NewSGD(SGDConfig{LR: lr, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-3}, g...)
		},
		"adam": func(lr float64, g []Group) (Optimizer, error) {
			c := DefaultAdamConfig(lr)
			c.AMSGrad, c.WeightDecay = true, 1e-2
			return NewAdam(c, g...)
		},
		"adamw": func(lr float64, g []Group) (Optimizer, error) { return NewAdamW(DefaultAdamWConfig(lr), g...) },
		"rmsprop": func(lr float64, g []Group) (Optimizer, error) {
			c := DefaultRMSpropConfig(lr)
			c.Centered, c.Momentum = true, 0.5
			return NewRMSprop(c, g...)
		},
	}
}

func bitsEqual(t *testing.T, what string, a, b []float32) {
	t.Helper()
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("%s[%d]: %v vs %v", what, i, a[i], b[i])
		}
	}
}

func TestStateResumeBitExact(t *testing.T) {
	sched := WarmupCosine{BaseLR: 0.05, MinLR: 1e-4, WarmupSteps: 2, WarmupStart: 0.1, TotalSteps: 6}
	for kind, ctor := range optimizerKinds() {
		t.Run(kind, func(t *testing.T) {
			run := func(o Optimizer, n *testNet, from, to int) {
				for s := from; s < to; s++ {
					n.setGradsAt(s)
					if err := o.SetLR(sched.LR(s)); err != nil {
						t.Fatal(err)
					}
					if err := o.Step(); err != nil {
						t.Fatal(err)
					}
				}
			}
			ref := newTestNet(7)
			refOpt, err := ctor(1, ref.groups())
			if err != nil {
				t.Fatal(err)
			}
			run(refOpt, ref, 0, 6)

			first := newTestNet(7)
			firstOpt, _ := ctor(1, first.groups())
			run(firstOpt, first, 0, 3)
			saved, err := firstOpt.State()
			if err != nil {
				t.Fatal(err)
			}
			// A fresh process: new parameters holding the values at step 3
			// and an optimizer built with other settings, which LoadState
			// must replace.
			second := newTestNet(99)
			for i, p := range second.all() {
				p.Value = first.all()[i].Value.Clone()
			}
			secondOpt, _ := ctor(123, second.groups())
			if err := secondOpt.LoadState(saved); err != nil {
				t.Fatal(err)
			}
			if secondOpt.LR() != firstOpt.LR() || secondOpt.Steps() != 3 {
				t.Fatalf("restored lr %v steps %d, want %v 3", secondOpt.LR(), secondOpt.Steps(), firstOpt.LR())
			}
			if got := secondOpt.GroupLRs(); got[1] != 0.1*firstOpt.LR() {
				t.Fatalf("restored group rates %v", got)
			}
			resaved, _ := secondOpt.State()
			if !bytes.Equal(saved, resaved) {
				t.Fatal("State after LoadState differs from the loaded bytes")
			}
			run(secondOpt, second, 3, 6)
			for i, p := range ref.all() {
				bitsEqual(t, p.Name, p.Value.Data, second.all()[i].Value.Data)
			}
			a, _ := refOpt.State()
			b, _ := secondOpt.State()
			if !bytes.Equal(a, b) {
				t.Fatal("final optimizer states differ")
			}
			if ref.frozen.Value.Data[0] != newTestNet(7).frozen.Value.Data[0] {
				t.Fatal("frozen parameter changed")
			}
		})
	}
}

func TestLoadStateRejects(t *testing.T) {
	n := newTestNet(1)
	opt, err := NewAdam(DefaultAdamConfig(1e-3), n.groups()...)
	if err != nil {
		t.Fatal(err)
	}
	n.setGradsAt(3)
	if err := opt.Step(); err != nil {
		t.Fatal(err)
	}
	good, err := opt.State()
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 1
		return b
	}
	cases := []struct {
		name string
		opt  func() Optimizer
		data []byte
		want string
	}{
		{"empty", nil, nil, "too short"},
		{"magic", nil, flip(0), "magic"},
		{"version", nil, flip(8), "version"},
		{"checksum", nil, flip(len(good) / 2), "checksum"},
		{"truncated", nil, good[:len(good)-9], "checksum"},
		{"kind", func() Optimizer { o, _ := NewAdamW(DefaultAdamWConfig(1), newTestNet(1).groups()...); return o }, good, `"adam"`},
		{"missing param", func() Optimizer {
			m := newTestNet(1)
			extra := nn.NewParam("head/extra", tensor.New(2))
			g := m.groups()
			g[0].Params = append(g[0].Params, extra)
			o, _ := NewAdam(DefaultAdamConfig(1), g...)
			return o
		}, good, `"head/extra"`},
		{"unknown param", func() Optimizer {
			m := newTestNet(1)
			g := m.groups()
			g[1].Params = g[1].Params[:1] // drops stem/kernel
			o, _ := NewAdam(DefaultAdamConfig(1), g...)
			return o
		}, good, `"stem/kernel"`},
		{"shape", func() Optimizer {
			m := newTestNet(1)
			m.body.Value = tensor.New(3, 2, 5)
			o, _ := NewAdam(DefaultAdamConfig(1), m.groups()...)
			return o
		}, good, `"body/kernel"`},
		{"group moved", func() Optimizer {
			m := newTestNet(1)
			o, _ := NewAdam(DefaultAdamConfig(1), Group{Params: []*nn.Param{m.head}},
				Group{Params: []*nn.Param{m.body, m.frozen, m.late}})
			return o
		}, good, `"head/bias"`},
		{"group count", func() Optimizer {
			o, _ := NewAdam(DefaultAdamConfig(1), Group{Params: newTestNet(1).all()})
			return o
		}, good, "groups"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var o Optimizer = opt
			if c.opt != nil {
				o = c.opt()
			}
			before, _ := o.State()
			err := o.LoadState(c.data)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one mentioning %s", err, c.want)
			}
			after, _ := o.State()
			if !bytes.Equal(before, after) {
				t.Fatal("failed LoadState changed the optimizer")
			}
		})
	}
}

func TestNewRejectsBadGroups(t *testing.T) {
	n := newTestNet(1)
	if _, err := NewSGD(SGDConfig{LR: 0.1}, Group{Params: []*nn.Param{n.head}}, Group{Params: []*nn.Param{n.head}}); err == nil ||
		!strings.Contains(err.Error(), "head/kernel") {
		t.Fatalf("duplicate parameter: err = %v", err)
	}
	if _, err := NewSGD(SGDConfig{LR: -1}, n.groups()...); err == nil {
		t.Fatal("negative lr: want error")
	}
	if _, err := NewSGD(SGDConfig{LR: 0.1, Nesterov: true}, n.groups()...); err == nil {
		t.Fatal("nesterov without momentum: want error")
	}
	if _, err := NewAdam(AdamConfig{LR: 0.1, Beta1: 1, Beta2: 0.9}, n.groups()...); err == nil {
		t.Fatal("beta1 1: want error")
	}
	if _, err := NewRMSprop(DefaultRMSpropConfig(0.1)); err == nil {
		t.Fatal("no groups: want error")
	}
	if _, err := NewAdam(DefaultAdamConfig(0.1), Group{Params: []*nn.Param{{Name: "x"}}}); err == nil {
		t.Fatal("nil value: want error")
	}
	opt, _ := NewSGD(SGDConfig{LR: 0.1, WeightDecay: 0.3}, Group{Params: []*nn.Param{n.head}})
	if err := opt.AddGroup(Group{Params: []*nn.Param{n.body, n.head}}); err == nil || !strings.Contains(err.Error(), "head/kernel") {
		t.Fatalf("AddGroup with a held parameter: err = %v", err)
	}
	if err := opt.AddGroup(Group{Params: []*nn.Param{n.body}, LRScale: 0.1}); err != nil {
		t.Fatal(err)
	}
	if got := opt.GroupLRs(); len(got) != 2 || math.Abs(got[1]-0.01) > 1e-15 || opt.groups[1].weightDecay != 0.3 {
		t.Fatalf("after AddGroup: rates %v, weight decay %v", got, opt.groups[1].weightDecay)
	}
	if err := opt.SetLR(math.NaN()); err == nil || opt.LR() != 0.1 {
		t.Fatalf("SetLR(NaN): err %v, lr %v", err, opt.LR())
	}
}

func TestStepRejectsMismatchedGrad(t *testing.T) {
	n := newTestNet(1)
	opt, _ := NewAdam(DefaultAdamConfig(0.1), n.groups()...)
	n.setGradsAt(3)
	n.body.Grad = tensor.New(2)
	before := n.head.Value.Clone()
	err := opt.Step()
	if err == nil || !strings.Contains(err.Error(), "body/kernel") {
		t.Fatalf("err = %v, want one naming body/kernel", err)
	}
	bitsEqual(t, "head", before.Data, n.head.Value.Data)
	if opt.Steps() != 0 {
		t.Fatal("failed step counted")
	}
}

func TestZeroGradAndSkips(t *testing.T) {
	n := newTestNet(1)
	opt, _ := NewSGD(SGDConfig{LR: 0.1}, n.groups()...)
	n.setGradsAt(0) // head/bias has no gradient at step 0
	frozen := n.frozen.Value.Clone()
	late := n.late.Value.Clone()
	head := n.head.Value.Data[0]
	if err := opt.Step(); err != nil {
		t.Fatal(err)
	}
	bitsEqual(t, "frozen", frozen.Data, n.frozen.Value.Data)
	bitsEqual(t, "late", late.Data, n.late.Value.Data)
	if want := head - float32(0.1)*n.head.Grad.Data[0]; n.head.Value.Data[0] != want {
		t.Fatalf("head[0] = %v, want %v", n.head.Value.Data[0], want)
	}
	opt.ZeroGrad()
	for _, p := range []*nn.Param{n.head, n.body} {
		for _, v := range p.Grad.Data {
			if v != 0 {
				t.Fatalf("%s gradient not zeroed", p.Name)
			}
		}
	}
}
