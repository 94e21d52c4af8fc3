package nn

import (
	"fmt"
	"path"
	"strings"
)

// Params returns every layer's learned parameters in node order, named
// "node/param".
func (g *Graph) Params() []*Param {
	var ps []*Param
	for _, n := range g.nodes {
		if n.layer != nil {
			ps = append(ps, n.layer.Params()...)
		}
	}
	return ps
}

// TrainableParams returns the parameters whose Trainable flag is set.
func (g *Graph) TrainableParams() []*Param {
	var ps []*Param
	for _, p := range g.Params() {
		if p.Trainable {
			ps = append(ps, p)
		}
	}
	return ps
}

// State returns every layer's non-learned state (BatchNorm's running
// statistics) in node order, named "node/state".
func (g *Graph) State() []*Param {
	var ps []*Param
	for _, n := range g.nodes {
		if n.layer != nil {
			ps = append(ps, stateOf(n.layer)...)
		}
	}
	return ps
}

// ZeroGrad clears every parameter's gradient.
func (g *Graph) ZeroGrad() {
	for _, p := range g.Params() {
		p.ZeroGrad()
	}
}

// SetTrainable sets the trainable flag of every parameter of the named node;
// a layer that behaves differently when frozen (BatchNorm) is told too.
func (g *Graph) SetTrainable(name string, trainable bool) error {
	i, ok := g.index[name]
	if !ok {
		return fmt.Errorf("graph: SetTrainable: no node %q", name)
	}
	g.setTrainable(g.nodes[i], trainable)
	return nil
}

func (g *Graph) setTrainable(n *node, trainable bool) {
	if n.layer == nil {
		return
	}
	if f, ok := n.layer.(Freezer); ok {
		f.SetFrozen(!trainable)
	}
	for _, p := range n.layer.Params() {
		p.Trainable = trainable
	}
}

// SetTrainableMatching sets the trainable flag of every node whose name
// matches pattern (path.Match syntax: "block4_*", "conv?") and returns how
// many nodes matched.
func (g *Graph) SetTrainableMatching(pattern string, trainable bool) (int, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return 0, fmt.Errorf("graph: pattern %q: %w", pattern, err)
	}
	count := 0
	for _, n := range g.nodes {
		if ok, _ := path.Match(pattern, n.name); ok && n.layer != nil {
			g.setTrainable(n, trainable)
			count++
		}
	}
	return count, nil
}

// FreezeUpTo freezes every node added before the named node and the node
// itself (Keras's `for layer in base.layers[:k]: layer.trainable = False`).
func (g *Graph) FreezeUpTo(name string) error {
	last, ok := g.index[name]
	if !ok {
		return fmt.Errorf("graph: FreezeUpTo: no node %q", name)
	}
	for _, n := range g.nodes[:last+1] {
		g.setTrainable(n, false)
	}
	return nil
}

// SetAllTrainable sets the trainable flag of every node.
func (g *Graph) SetAllTrainable(trainable bool) {
	for _, n := range g.nodes {
		g.setTrainable(n, trainable)
	}
}

// Summary returns a table of the nodes: layer type, inputs, output shape
// (from the last Forward; "?" before any), and parameter counts, with
// totals of trainable and frozen parameters.
func (g *Graph) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-28s %-16s %-20s %12s %12s  %s\n", "node", "layer", "output", "trainable", "frozen", "inputs")
	var totalT, totalF int
	for _, n := range g.nodes {
		kind := "Input"
		var tr, fr int
		if n.layer != nil {
			kind = strings.TrimPrefix(fmt.Sprintf("%T", n.layer), "*nn.")
			if s, ok := n.layer.(fmt.Stringer); ok {
				kind = s.String()
			}
			for _, p := range n.layer.Params() {
				if p.Trainable {
					tr += p.Value.Size()
				} else {
					fr += p.Value.Size()
				}
			}
			for _, p := range stateOf(n.layer) {
				fr += p.Value.Size()
			}
		}
		shape := "?"
		if n.shape != nil {
			shape = fmt.Sprint(n.shape)
		}
		fmt.Fprintf(&b, "%-28s %-16s %-20s %12d %12d  %s\n", n.name, kind, shape, tr, fr, strings.Join(g.names(n.inputs), ","))
		totalT += tr
		totalF += fr
	}
	fmt.Fprintf(&b, "parameters: %d trainable, %d frozen (state included), %d total\n", totalT, totalF, totalT+totalF)
	return b.String()
}
