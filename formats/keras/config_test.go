package keras

import (
	"math"
	"testing"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

func TestKeras3InboundAndNesting(t *testing.T) {
	k3 := `{"class_name": "Functional", "config": {"name": "m", "layers": [
	 {"class_name": "InputLayer", "name": "in", "config": {"batch_shape": [null, 4, 4, 2], "name": "in"}, "inbound_nodes": []},
	 {"class_name": "Conv2D", "name": "c", "config": {"filters": 2, "kernel_size": 3, "padding": "same"},
	  "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["in", 0, 0]}}], "kwargs": {}}]},
	 {"class_name": "Add", "name": "a", "config": {}, "inbound_nodes": [{"args": [[
	  {"class_name": "__keras_tensor__", "config": {"keras_history": ["in", 0, 0]}},
	  {"class_name": "__keras_tensor__", "config": {"keras_history": ["c", 0, 0]}}]]}]},
	 {"class_name": "GlobalMaxPooling2D", "name": "g", "config": {"keepdims": true},
	  "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["a", 0, 0]}}]}]}],
	 "input_layers": ["in", 0, 0], "output_layers": ["g", 0, 0]}}`
	m, err := FromConfig([]byte(k3), "3.3.3")
	if err != nil {
		t.Fatal(err)
	}
	if in, _ := m.Graph.NodeInputs("a"); len(in) != 2 || in[0] != "in" || in[1] != "c" {
		t.Fatalf("Add inputs %v, want [in c]", in)
	}
	if got := m.OutputShape; len(got) != 3 || got[0] != 1 || got[2] != 2 {
		t.Fatalf("output shape %v, want [1 1 2]", got)
	}

	seq := `{"class_name": "Sequential", "config": {"name": "s", "layers": [
	 {"class_name": "InputLayer", "config": {"batch_shape": [null, 5, 5, 1], "name": "x"}},
	 {"class_name": "Sequential", "config": {"name": "inner", "layers": [
	  {"class_name": "ZeroPadding2D", "config": {"name": "zp", "padding": 1}},
	  {"class_name": "DepthwiseConv2D", "config": {"name": "dw", "kernel_size": [3, 3], "strides": 2}}]}},
	 {"class_name": "Flatten", "config": {"name": "f"}},
	 {"class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "hard_sigmoid"}}]}}`
	for _, c := range []struct {
		version string
		slope   string
	}{{"3.1.0", "HardSigmoid(0.16666667, 0.5)"}, {"2.4.0", "HardSigmoid(0.2, 0.5)"}} {
		m, err := FromConfig([]byte(seq), c.version)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"x", "zp", "dw", "f", "d", "d_hard_sigmoid"}
		nodes := m.Graph.Nodes()
		if len(nodes) != len(want) {
			t.Fatalf("nodes %v, want %v", nodes, want)
		}
		for i := range want {
			if nodes[i] != want[i] {
				t.Fatalf("nodes %v, want %v", nodes, want)
			}
		}
		l, _ := m.Graph.Layer("d_hard_sigmoid")
		if s := l.(interface{ String() string }).String(); s != c.slope {
			t.Errorf("Keras %s hard_sigmoid is %s, want %s", c.version, s, c.slope)
		}
		if m.Classes != 3 || m.Layers[2].Name != "inner/dw" || m.Layers[2].OutputShape[0] != 3 {
			t.Fatalf("classes %d, layers %+v", m.Classes, m.Layers)
		}
	}
}

// TestAffineGradient checks Affine's backward pass against central
// differences of sum(y * w) for a fixed random w.
func TestAffineGradient(t *testing.T) {
	a, err := NewAffine("a", []float32{0.5, -2, 3}, []float32{1, 0.25, -1})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(2, 2, 3)
	w := tensor.New(2, 2, 3)
	for i := range x.Data {
		x.Data[i] = float32(math.Sin(float64(i)))
		w.Data[i] = float32(math.Cos(float64(3 * i)))
	}
	loss := func() float64 {
		y, err := a.Forward([]*tensor.Tensor{x}, false)
		if err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for i := range y.Data {
			s += float64(y.Data[i] * w.Data[i])
		}
		return s
	}
	y, err := a.Forward([]*tensor.Tensor{x}, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := x.Data[1]*-2 + 0.25; y.Data[1] != want {
		t.Fatalf("y[1] = %g, want %g", y.Data[1], want)
	}
	dx, err := a.Backward(w, true)
	if err != nil {
		t.Fatal(err)
	}
	const h = 1e-2
	for i := range x.Data {
		orig := x.Data[i]
		x.Data[i] = orig + h
		up := loss()
		x.Data[i] = orig - h
		down := loss()
		x.Data[i] = orig
		if num := (up - down) / (2 * h); math.Abs(num-float64(dx[0].Data[i])) > 1e-3 {
			t.Fatalf("dx[%d] = %g, numeric %g", i, dx[0].Data[i], num)
		}
	}
	if _, err := a.Backward(w, true); err == nil {
		t.Fatal("second Backward without Forward succeeded")
	}
	var _ nn.Stateful = a
}
