package tflite

import (
	"fmt"
	"sort"
	"strings"

	"github.com/graft-ml/graft/tensor"
)

// Info summarises a .tflite file: its input and outputs, the operators it
// uses and the float layers it converts to, with their parameter counts.
type Info struct {
	Path        string
	Description string
	Input       TensorInfo
	InputQuant  InputQuantization
	Outputs     []TensorInfo
	Logits      string         // tensor fed to the final SOFTMAX, or ""
	Operators   map[string]int // TFLite operator name -> count
	Layers      []LayerInfo
	Params      int // total parameters of the float graph
}

// TensorInfo names a tensor with its shape and stored type.
type TensorInfo struct {
	Name  string
	Shape []int
	Type  TensorType
}

// LayerInfo describes one float layer of the converted graph.
type LayerInfo struct {
	Name       string // its output tensor
	Kind       NodeKind
	Activation Activation // fused activation
	OutShape   []int
	Params     int
}

// Inspect parses a .tflite file and lowers it to float layers without
// building the graph.
func Inspect(path string) (*Info, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := NewPlan(f)
	if err != nil {
		return nil, err
	}
	ti := func(i int) TensorInfo {
		t := p.Tensors[i]
		return TensorInfo{Name: t.Name, Shape: t.Shape, Type: t.Type}
	}
	info := &Info{Path: path, Description: f.Description, Input: ti(p.Input),
		InputQuant: inputQuantization(p.Tensors[p.Input]), Operators: map[string]int{}}
	for _, o := range p.Outputs {
		info.Outputs = append(info.Outputs, ti(o))
	}
	if p.Logits >= 0 {
		info.Logits = p.Tensors[p.Logits].Name
	}
	for _, op := range f.Subgraphs[0].Operators {
		info.Operators[opName(op)]++
	}
	for _, n := range p.Nodes {
		l := LayerInfo{Name: n.Name, Kind: n.Kind, Activation: n.Activation, OutShape: n.OutShape}
		for _, t := range [...]int{size(n.Kernel), size(n.Bias), size(n.Const)} {
			l.Params += t
		}
		info.Params += l.Params
		info.Layers = append(info.Layers, l)
	}
	return info, nil
}

func size(t *tensor.Tensor) int {
	if t == nil {
		return 0
	}
	return t.Size()
}

// String formats the summary as a table, one layer a line.
func (info *Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", info.Path)
	if info.Description != "" {
		fmt.Fprintf(&b, "description: %s\n", info.Description)
	}
	fmt.Fprintf(&b, "input: %s %v %s", info.Input.Name, info.Input.Shape, info.Input.Type)
	if q := info.InputQuant; q.Quantized {
		fmt.Fprintf(&b, " (float = %g*(q-%d))", q.Scale, q.ZeroPoint)
	}
	b.WriteByte('\n')
	for _, o := range info.Outputs {
		fmt.Fprintf(&b, "output: %s %v %s\n", o.Name, o.Shape, o.Type)
	}
	if info.Logits != "" {
		fmt.Fprintf(&b, "logits: %s\n", info.Logits)
	}
	ops := make([]string, 0, len(info.Operators))
	for op, n := range info.Operators {
		ops = append(ops, fmt.Sprintf("%s x%d", op, n))
	}
	sort.Strings(ops)
	fmt.Fprintf(&b, "operators: %s\n", strings.Join(ops, ", "))
	fmt.Fprintf(&b, "%-4s %-16s %-8s %-18s %10s  %s\n", "#", "layer", "act", "output", "params", "tensor")
	for i, l := range info.Layers {
		act := ""
		if l.Activation != ActNone {
			act = l.Activation.String()
		}
		fmt.Fprintf(&b, "%-4d %-16s %-8s %-18s %10d  %s\n", i, l.Kind, act, fmt.Sprint(l.OutShape), l.Params, l.Name)
	}
	fmt.Fprintf(&b, "layers: %d, parameters: %d\n", len(info.Layers), info.Params)
	return b.String()
}
