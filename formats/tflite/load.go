package tflite

import (
	"fmt"

	"github.com/graft-ml/graft/nn"
)

// Model is a .tflite file imported as a float Graft graph.
type Model struct {
	File  *File     // the parsed file
	Plan  *Plan     // the float operations the graph was built from
	Graph *nn.Graph // one input; outputs OutputNames

	// InputName is the graph's input node and InputShape the NHWC shape the
	// file declares (batch included).
	InputName  string
	InputShape []int
	// Input says how to turn the file's integer input into the graph's
	// float input: x = Scale*(q-ZeroPoint).
	Input InputQuantization
	// OutputNames are the graph's output nodes: the file's outputs, then
	// LogitsName when Options.Logits was set.
	OutputNames []string
	// LogitsName is the node computing the float tensor fed to the final
	// SOFTMAX ("" when the model ends without one).
	LogitsName string

	nodeOf map[int]string
}

// Options tune Load.
type Options struct {
	// Logits appends the logits (the tensor fed to the final SOFTMAX) to
	// the graph's outputs.
	Logits bool
}

// Load reads a .tflite file and builds its float graph.
func Load(path string) (*Model, error) { return LoadWith(path, Options{}) }

// LoadWith reads a .tflite file and builds its float graph with options.
func LoadWith(path string, opts Options) (*Model, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return FromFile(f, opts)
}

// FromFile builds the float graph of a parsed file.
func FromFile(f *File, opts Options) (*Model, error) {
	p, err := NewPlan(f)
	if err != nil {
		return nil, err
	}
	g, nodeOf, err := BuildGraph(p)
	if err != nil {
		return nil, fmt.Errorf("tflite: %s: %w", f.Name, err)
	}
	m := &Model{File: f, Plan: p, Graph: g, InputName: nodeOf[p.Input], InputShape: p.InputShape,
		Input: inputQuantization(p.Tensors[p.Input]), nodeOf: nodeOf}
	for _, o := range p.Outputs {
		m.OutputNames = append(m.OutputNames, nodeOf[o])
	}
	if p.Logits >= 0 {
		m.LogitsName = nodeOf[p.Logits]
	}
	if opts.Logits {
		if m.LogitsName == "" {
			return nil, fmt.Errorf("tflite: %s: logits requested, but the model does not end in SOFTMAX", f.Name)
		}
		m.OutputNames = append(m.OutputNames, m.LogitsName)
		if err := g.SetOutputs(m.OutputNames...); err != nil {
			return nil, fmt.Errorf("tflite: %s: %w", f.Name, err)
		}
	}
	return m, nil
}

// NodeName returns the graph node that computes the named TFLite tensor.
func (m *Model) NodeName(tensorName string) (string, bool) {
	for i, t := range m.Plan.Tensors {
		if t.Name == tensorName {
			name, ok := m.nodeOf[i]
			return name, ok
		}
	}
	return "", false
}
