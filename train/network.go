package train

import (
	"fmt"
	"path"
	"slices"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/nn"
)

// Network is a graph laid out for transfer learning: a pretrained base cut
// into blocks, and a head on top of the base's feature node.
type Network struct {
	Graph *nn.Graph
	// Input is the graph's input placeholder.
	Input string
	// Feature is the base's last node; the head starts after it.
	Feature string
	// Blocks lists the base's stages in order (each a list of node names),
	// for "unfreeze the last N blocks".
	Blocks [][]string
	// Preprocess is what the base's weights expect.
	Preprocess data.Preprocess
	// Classes names the head's outputs.
	Classes []string
}

// headNodes returns the nodes added after Feature.
func (n *Network) headNodes() []string {
	nodes := n.Graph.Nodes()
	i := slices.Index(nodes, n.Feature)
	if i < 0 {
		return nil
	}
	return nodes[i+1:]
}

// Freeze says which parts of a network train.
type Freeze struct {
	// Base freezes every base node when true; LastBlocks and Pattern then
	// unfreeze parts of it again.
	Base bool
	// LastBlocks unfreezes the last N blocks of the base.
	LastBlocks int
	// Pattern, when set, unfreezes base nodes whose names match it
	// (path.Match syntax, e.g. "layer4.*").
	Pattern string
	// TrainBatchNormStats lets unfrozen BatchNorm layers use batch
	// statistics and update their running averages. Off by default: with a
	// few hundred images, batch statistics are noisy and the pretrained
	// running statistics are better, so unfrozen BatchNorm layers learn
	// only their scale and offset (as Keras advises for fine-tuning).
	TrainBatchNormStats bool
}

// Apply sets every node's trainable flag and BatchNorm mode.
func (f Freeze) Apply(n *Network) error {
	g := n.Graph
	head := map[string]bool{}
	for _, h := range n.headNodes() {
		head[h] = true
	}
	unfrozen := map[string]bool{}
	if f.LastBlocks > 0 {
		if f.LastBlocks > len(n.Blocks) {
			return fmt.Errorf("train: cannot unfreeze %d blocks: the base has %d", f.LastBlocks, len(n.Blocks))
		}
		for _, b := range n.Blocks[len(n.Blocks)-f.LastBlocks:] {
			for _, name := range b {
				unfrozen[name] = true
			}
		}
	}
	if f.Pattern != "" {
		if _, err := path.Match(f.Pattern, ""); err != nil {
			return fmt.Errorf("train: unfreeze pattern %q: %w", f.Pattern, err)
		}
	}
	for _, name := range g.Nodes() {
		l, ok := g.Layer(name)
		if !ok || l == nil {
			continue
		}
		trainable := head[name] || !f.Base || unfrozen[name]
		if !trainable && f.Pattern != "" {
			if m, _ := path.Match(f.Pattern, name); m {
				trainable = true
			}
		}
		if err := g.SetTrainable(name, trainable); err != nil {
			return err
		}
		if bn, ok := l.(*nn.BatchNorm); ok && trainable && !head[name] {
			if f.TrainBatchNormStats {
				bn.SetMode(nn.BNTrain)
			} else {
				bn.SetMode(nn.BNInference)
			}
		}
	}
	return nil
}

// Counts returns the numbers of trainable and frozen parameter values.
func (n *Network) Counts() (trainable, frozen int) {
	for _, p := range n.Graph.Params() {
		if p.Trainable {
			trainable += p.Value.Size()
		} else {
			frozen += p.Value.Size()
		}
	}
	return trainable, frozen
}

// frozenCut returns the last node C such that every node up to C is frozen
// and every later node reads only C or later nodes: the graph splits there
// into a frozen prefix whose output can be cached and a trainable suffix.
// It returns "" when no such cut exists past the input.
func (n *Network) frozenCut() string {
	g := n.Graph
	nodes := g.Nodes()
	pos := map[string]int{}
	for i, name := range nodes {
		pos[name] = i
	}
	first := len(nodes)
	for i, name := range nodes {
		if l, ok := g.Layer(name); ok && l != nil && anyTrainable(l) {
			first = i
			break
		}
	}
	// Walk back from the first trainable node to a clean cut.
	for c := first - 1; c >= 0; c-- {
		if isCut(g, nodes, pos, c) {
			if c == 0 {
				return ""
			}
			return nodes[c]
		}
	}
	return ""
}

func anyTrainable(l nn.Layer) bool {
	for _, p := range l.Params() {
		if p.Trainable {
			return true
		}
	}
	return false
}

// isCut reports whether every node after position c reads only node c or
// nodes after it.
func isCut(g *nn.Graph, nodes []string, pos map[string]int, c int) bool {
	for _, name := range nodes[c+1:] {
		ins, _ := g.NodeInputs(name)
		for _, in := range ins {
			if pos[in] < c {
				return false
			}
		}
	}
	return true
}

// split returns two graphs sharing n's layers: the prefix from the input to
// cut, and the suffix from cut to the outputs, with cut as its input.
func (n *Network) split(cut string) (prefix, suffix *nn.Graph, err error) {
	g := n.Graph
	nodes := g.Nodes()
	c := slices.Index(nodes, cut)
	if c < 0 {
		return nil, nil, fmt.Errorf("train: no node %q", cut)
	}
	prefix, suffix = nn.NewGraph(), nn.NewGraph()
	for i, name := range nodes {
		l, _ := g.Layer(name)
		ins, _ := g.NodeInputs(name)
		switch {
		case i <= c && l == nil:
			err = prefix.Input(name)
		case i <= c:
			err = prefix.Add(name, l, ins...)
		case i > c && l != nil:
			if i == c+1 || len(suffix.Nodes()) == 0 {
				if e := suffix.Input(cut); e != nil {
					return nil, nil, e
				}
			}
			err = suffix.Add(name, l, ins...)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("train: splitting at %s: %w", cut, err)
		}
	}
	if err := prefix.SetOutputs(cut); err != nil {
		return nil, nil, err
	}
	if err := suffix.SetOutputs(g.Outputs()...); err != nil {
		return nil, nil, err
	}
	return prefix, suffix, nil
}
