package modelio

import (
	"fmt"
	"sort"
	"strings"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// summarize describes l; see Loaded.Summary.
func summarize(l *Loaded) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "format:     %s\n", l.Format)
	fmt.Fprintf(&b, "source:     %s\n", l.Source)
	batch := "N"
	if l.InputBatch > 0 {
		batch = fmt.Sprint(l.InputBatch)
	}
	fmt.Fprintf(&b, "input:      [%s, %d, %d, 3] (NHWC float32)\n", batch, l.InputH, l.InputW)
	pre := DescribePreprocess(l.Preprocess)
	if l.guess != "" {
		pre += " (assumed)"
	}
	fmt.Fprintf(&b, "preprocess: %s\n", pre)
	outs, err := Probe(l)
	if err != nil {
		return b.String(), err
	}
	for i, o := range outs {
		fmt.Fprintf(&b, "output %d:   %v\n", i, o.Shape)
	}
	switch {
	case len(l.Labels) == 0:
		b.WriteString("labels:     none in the file\n")
	default:
		fmt.Fprintf(&b, "labels:     %d from %s (%s)\n", len(l.Labels), l.LabelsFrom, preview(l.Labels, 5))
	}
	if len(l.Meta) > 0 {
		b.WriteString("metadata:\n")
		keys := make([]string, 0, len(l.Meta))
		for k := range l.Meta {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s: %v\n", k, l.Meta[k])
		}
	}
	for _, w := range l.Warnings {
		fmt.Fprintf(&b, "warning:    %s\n", w)
	}
	b.WriteString("\n")
	b.WriteString(l.Graph.Summary())
	return b.String(), nil
}

// Probe runs the graph once in inference mode on a blank input of the
// model's size (batch InputBatch, or 1) and returns the outputs, which
// also records every node's output shape for nn.Graph.Summary.
func Probe(l *Loaded) ([]*tensor.Tensor, error) {
	n := l.InputBatch
	if n <= 0 {
		n = 1
	}
	x := tensor.New(n, l.InputH, l.InputW, 3)
	outs, err := forward(l.Graph, x)
	if err != nil {
		return nil, fmt.Errorf("modelio: %s: running the model on a blank %dx%d input: %w", l.Source, l.InputH, l.InputW, err)
	}
	return outs, nil
}

func forward(g *nn.Graph, x *tensor.Tensor) ([]*tensor.Tensor, error) {
	return g.Forward([]*tensor.Tensor{x}, false)
}

// preview lists the first n labels.
func preview(labels []string, n int) string {
	if len(labels) <= n {
		return strings.Join(labels, ", ")
	}
	return strings.Join(labels[:n], ", ") + ", ..."
}
