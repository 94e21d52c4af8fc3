package nn

import (
	"fmt"
	"strings"

	"github.com/graft-ml/graft/compute"
	"github.com/graft-ml/graft/tensor"
)

// Graph is a DAG of named layers run in the order they were added (which is
// a topological order, since a node's inputs must exist when it is added).
// Nodes that no output depends on are skipped.
//
// In training, Backward runs only through nodes at or downstream of a
// trainable parameter: a frozen prefix is never back-propagated, and its
// layers keep nothing after Forward. Forward drops each activation as soon
// as its last consumer has run; layers keep what their Backward needs.
//
// The Graph hands the storage of dead intermediate activations and
// gradients made by nn's own layers back to a buffer pool, from which
// later layers (and later steps) take their results without zeroing. The
// tensors it returns (outputs, input gradients) and the tensors it is
// given (inputs, output gradients) are never reused, nor is anything a
// layer from another package returns. Such layers must not hold on to the
// tensors they are given after their Backward or Release, as the Layer
// contract says.
type Graph struct {
	// CheckFinite makes Forward and Backward return an error naming the
	// first node whose output, input gradient or parameter gradient holds a
	// NaN or Inf.
	CheckFinite bool

	nodes     []*node
	index     map[string]int
	inputs    []int
	outputs   []int
	inputGrad bool

	// state of the last training Forward, for Backward
	pending  bool
	backward []bool

	// spent hands dead activations and gradients to the buffer pool.
	spent recycler
}

// node is one vertex of the graph: an input placeholder or a layer.
type node struct {
	name      string
	layer     Layer // nil for an input placeholder
	inputs    []int
	consumers int
	shape     []int // output shape of the last Forward
}

// NewGraph returns an empty graph.
func NewGraph() *Graph { return &Graph{index: map[string]int{}} }

func (g *Graph) addNode(n *node) error {
	if n.name == "" || strings.Contains(n.name, "/") {
		return fmt.Errorf("graph: node name %q must be non-empty and contain no '/'", n.name)
	}
	if _, dup := g.index[n.name]; dup {
		return fmt.Errorf("graph: node %q already exists", n.name)
	}
	g.index[n.name] = len(g.nodes)
	g.nodes = append(g.nodes, n)
	g.pending = false
	return nil
}

// Input adds an input placeholder. Forward takes its inputs in the order
// the placeholders were added.
func (g *Graph) Input(name string) error {
	if err := g.addNode(&node{name: name}); err != nil {
		return err
	}
	g.inputs = append(g.inputs, len(g.nodes)-1)
	return nil
}

// Add appends a node running layer on the outputs of the named nodes, which
// must already exist. Add prefixes the names of the layer's parameters and
// state with "name/" so that the graph's names are unique.
func (g *Graph) Add(name string, layer Layer, inputs ...string) error {
	if layer == nil {
		return fmt.Errorf("graph: node %q has no layer", name)
	}
	if len(inputs) == 0 {
		return fmt.Errorf("graph: node %q has no inputs", name)
	}
	n := &node{name: name, layer: layer}
	for _, in := range inputs {
		i, ok := g.index[in]
		if !ok {
			return fmt.Errorf("graph: node %q: input %q does not exist (add it first)", name, in)
		}
		n.inputs = append(n.inputs, i)
	}
	seen := map[string]bool{}
	for _, p := range append(layer.Params(), stateOf(layer)...) {
		if !strings.HasPrefix(p.Name, name+"/") {
			p.Name = name + "/" + p.Name
		}
		if seen[p.Name] {
			return fmt.Errorf("graph: node %q: two parameters named %q", name, p.Name)
		}
		seen[p.Name] = true
	}
	if err := g.addNode(n); err != nil {
		return err
	}
	for _, i := range n.inputs {
		g.nodes[i].consumers++
	}
	return nil
}

func stateOf(l Layer) []*Param {
	if s, ok := l.(Stateful); ok {
		return s.State()
	}
	return nil
}

// SetOutputs names the nodes Forward returns, in order. Without it the last
// node added is the output.
func (g *Graph) SetOutputs(names ...string) error {
	if len(names) == 0 {
		return fmt.Errorf("graph: no outputs given")
	}
	outs := make([]int, len(names))
	for k, name := range names {
		i, ok := g.index[name]
		if !ok {
			return fmt.Errorf("graph: output %q does not exist", name)
		}
		outs[k] = i
	}
	g.outputs = outs
	g.pending = false
	return nil
}

// SetInputGrad chooses whether Backward computes and returns the gradients
// with respect to the graph's inputs (off by default).
func (g *Graph) SetInputGrad(on bool) { g.inputGrad = on }

// Inputs returns the input placeholders' names in order.
func (g *Graph) Inputs() []string { return g.names(g.inputs) }

// Outputs returns the output nodes' names in order.
func (g *Graph) Outputs() []string { return g.names(g.outputIndices()) }

// Nodes returns every node's name in the order they were added.
func (g *Graph) Nodes() []string {
	names := make([]string, len(g.nodes))
	for i, n := range g.nodes {
		names[i] = n.name
	}
	return names
}

// Layer returns the named node's layer (nil for an input placeholder).
func (g *Graph) Layer(name string) (Layer, bool) {
	i, ok := g.index[name]
	if !ok {
		return nil, false
	}
	return g.nodes[i].layer, true
}

// NodeInputs returns the names of the named node's inputs.
func (g *Graph) NodeInputs(name string) ([]string, bool) {
	i, ok := g.index[name]
	if !ok {
		return nil, false
	}
	return g.names(g.nodes[i].inputs), true
}

func (g *Graph) names(idx []int) []string {
	names := make([]string, len(idx))
	for k, i := range idx {
		names[k] = g.nodes[i].name
	}
	return names
}

func (g *Graph) outputIndices() []int {
	if g.outputs != nil || len(g.nodes) == 0 {
		return g.outputs
	}
	return []int{len(g.nodes) - 1}
}

// live marks the nodes some output depends on.
func (g *Graph) live() []bool {
	live := make([]bool, len(g.nodes))
	for _, o := range g.outputIndices() {
		live[o] = true
	}
	for i := len(g.nodes) - 1; i >= 0; i-- {
		if live[i] {
			for _, j := range g.nodes[i].inputs {
				live[j] = true
			}
		}
	}
	return live
}

// needsBackward marks the live nodes that Backward must run through: those
// with a trainable parameter and everything downstream of them (and of the
// inputs when input gradients are wanted).
func (g *Graph) needsBackward(live []bool) []bool {
	nb := make([]bool, len(g.nodes))
	for i, n := range g.nodes {
		if !live[i] {
			continue
		}
		if n.layer == nil {
			nb[i] = g.inputGrad
			continue
		}
		for _, p := range n.layer.Params() {
			nb[i] = nb[i] || p.Trainable
		}
		for _, j := range n.inputs {
			nb[i] = nb[i] || nb[j]
		}
	}
	return nb
}

// Forward runs the graph on inputs (one per placeholder) and returns the
// outputs. With training true, layers use their training behaviour and
// keep what the following Backward needs.
func (g *Graph) Forward(inputs []*tensor.Tensor, training bool) ([]*tensor.Tensor, error) {
	g.pending = false
	g.releaseAll()
	g.spent.flush() // a training Forward that was not followed by Backward
	if len(inputs) != len(g.inputs) {
		return nil, fmt.Errorf("graph: got %d inputs, want %d (%s)", len(inputs), len(g.inputs), strings.Join(g.Inputs(), ", "))
	}
	outs := g.outputIndices()
	if len(outs) == 0 {
		return nil, fmt.Errorf("graph: no nodes")
	}
	live := g.live()
	var nb []bool
	if training {
		nb = g.needsBackward(live)
	}
	isOutput := make([]bool, len(g.nodes))
	for _, o := range outs {
		isOutput[o] = true
	}
	uses := make([]int, len(g.nodes))
	for i, n := range g.nodes {
		if live[i] {
			for _, j := range n.inputs {
				uses[j]++
			}
		}
	}
	// holders are the nn layers that ran and may keep tensors for Backward.
	var holders []Layer
	acts := make([]*tensor.Tensor, len(g.nodes))
	for k, i := range g.inputs {
		if inputs[k] == nil {
			return nil, fmt.Errorf("graph: input %q is nil", g.nodes[i].name)
		}
		acts[i] = inputs[k]
		g.spent.protect(inputs[k])
		g.nodes[i].shape = append([]int(nil), inputs[k].Shape...)
	}
	ins := make([]*tensor.Tensor, 0, 4)
	for i, n := range g.nodes {
		if n.layer == nil || !live[i] {
			continue
		}
		ins = ins[:0]
		for _, j := range n.inputs {
			ins = append(ins, acts[j])
		}
		y, err := n.layer.Forward(ins, training)
		if err != nil {
			g.releaseAll()
			g.spent.reset()
			return nil, g.nodeError(n, err)
		}
		if isOutput[i] || !ownsOutputs(n.layer) {
			g.spent.protect(y)
		}
		if training && nb[i] {
			if ownsOutputs(n.layer) {
				holders = append(holders, n.layer)
			} else {
				// It may keep its inputs, we cannot tell which, until
				// its Backward or Release.
				for _, t := range ins {
					g.spent.pin(t)
				}
			}
		}
		if training && !nb[i] {
			release(n.layer)
		}
		if g.CheckFinite {
			if k := y.FirstNonFinite(); k >= 0 {
				g.releaseAll()
				g.spent.reset()
				return nil, fmt.Errorf("graph: node %q: output %v has %g at index %d", n.name, y.Shape, y.Data[k], k)
			}
		}
		acts[i] = y
		n.shape = append(n.shape[:0], y.Shape...)
		for _, j := range n.inputs {
			if uses[j]--; uses[j] == 0 && !isOutput[j] {
				g.retire(j, acts, training, holders)
				acts[j] = nil
			}
		}
	}
	res := make([]*tensor.Tensor, len(outs))
	for k, o := range outs {
		res[k] = acts[o]
	}
	if training {
		g.pending, g.backward = true, nb
	} else {
		g.spent.flush() // inference: layers kept nothing
	}
	return res, nil
}

func (g *Graph) nodeError(n *node, err error) error {
	if n.layer != nil && n.layer.Name() == n.name {
		return fmt.Errorf("graph: %w", err)
	}
	return fmt.Errorf("graph: node %q: %w", n.name, err)
}

func release(l Layer) {
	if r, ok := l.(Releaser); ok {
		r.Release()
	}
}

// releaseAll drops every layer's kept tensors.
func (g *Graph) releaseAll() {
	for _, n := range g.nodes {
		if n.layer != nil {
			release(n.layer)
		}
	}
}

// Backward back-propagates gradOuts (dLoss/dOutput, one per output) through
// the last training Forward, adding to the trainable parameters' gradients.
// It returns dLoss/dInput for each input when SetInputGrad(true), else nil.
func (g *Graph) Backward(gradOuts []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if !g.pending {
		return nil, fmt.Errorf("graph: Backward needs a training Forward first (and runs once per Forward)")
	}
	g.pending = false
	done := false
	defer func() {
		g.releaseAll()
		if done {
			g.spent.flush()
		} else {
			g.spent.reset()
		}
	}()
	outs := g.outputIndices()
	if len(gradOuts) != len(outs) {
		return nil, fmt.Errorf("graph: got %d output gradients, want %d (%s)", len(gradOuts), len(outs), strings.Join(g.Outputs(), ", "))
	}
	nb := g.backward
	acc := newGradSum(len(g.nodes))
	for _, d := range gradOuts {
		g.spent.protect(d)
	}
	for k, o := range outs {
		if !nb[o] || gradOuts[k] == nil {
			continue
		}
		if err := acc.add(o, gradOuts[k], g.nodes[o]); err != nil {
			return nil, err
		}
	}
	for i := len(g.nodes) - 1; i >= 0; i-- {
		n := g.nodes[i]
		if n.layer == nil || !nb[i] {
			continue
		}
		gy, fresh := acc.take(i)
		if gy == nil {
			release(n.layer)
			continue
		}
		needIn := false
		for _, j := range n.inputs {
			needIn = needIn || nb[j]
		}
		dxs, err := n.layer.Backward(gy, needIn)
		if err != nil {
			return nil, g.nodeError(n, err)
		}
		trusted := ownsOutputs(n.layer)
		if g.CheckFinite {
			if err := g.checkGrads(n, dxs); err != nil {
				return nil, err
			}
		}
		if !needIn {
			continue
		}
		if len(dxs) != len(n.inputs) {
			return nil, fmt.Errorf("graph: node %q returned %d input gradients for %d inputs", n.name, len(dxs), len(n.inputs))
		}
		for k, j := range n.inputs {
			if !nb[j] {
				continue
			}
			if err := acc.addFrom(j, dxs[k], g.nodes[j], trusted); err != nil {
				return nil, fmt.Errorf("graph: node %q: %w", n.name, err)
			}
		}
		if fresh && trusted && !acc.shares(gy) {
			g.spent.recycle(gy)
		}
	}
	done = true
	if !g.inputGrad {
		return nil, nil
	}
	res := make([]*tensor.Tensor, len(g.inputs))
	for k, i := range g.inputs {
		res[k], _ = acc.take(i)
		if res[k] == nil {
			res[k] = tensor.New(g.nodes[i].shape...)
		}
		g.spent.protect(res[k])
	}
	return res, nil
}

func (g *Graph) checkGrads(n *node, dxs []*tensor.Tensor) error {
	for k, d := range dxs {
		if d == nil {
			continue
		}
		if i := d.FirstNonFinite(); i >= 0 {
			return fmt.Errorf("graph: node %q: gradient for input %d (%q) has %g at index %d",
				n.name, k, g.nodes[n.inputs[k]].name, d.Data[i], i)
		}
	}
	for _, p := range n.layer.Params() {
		if p.Trainable && p.Grad != nil {
			if i := p.Grad.FirstNonFinite(); i >= 0 {
				return fmt.Errorf("graph: node %q: gradient of %s has %g at index %d", n.name, p.Name, p.Grad.Data[i], i)
			}
		}
	}
	return nil
}

// gradSum accumulates the gradients flowing into each node. A gradient that
// arrives alone is kept as is (it may be shared with a layer); a second one
// is summed into a new tensor the sum owns.
type gradSum struct {
	grads []*tensor.Tensor
	owned []bool
	// fresh marks gradients made by nn's layers or by the sum itself,
	// whose storage may be recycled once consumed.
	fresh []bool
}

func newGradSum(n int) *gradSum {
	return &gradSum{grads: make([]*tensor.Tensor, n), owned: make([]bool, n), fresh: make([]bool, n)}
}

// addFrom is add for a gradient made by a layer; fresh says whether the
// layer is one of nn's.
func (s *gradSum) addFrom(i int, d *tensor.Tensor, n *node, fresh bool) error {
	first := s.grads[i] == nil
	if err := s.add(i, d, n); err != nil {
		return err
	}
	if first {
		s.fresh[i] = fresh
	}
	return nil
}

// shares reports whether a pending gradient shares storage with t.
func (s *gradSum) shares(t *tensor.Tensor) bool {
	for _, g := range s.grads {
		if sharesStorage(g, t) {
			return true
		}
	}
	return false
}

func (s *gradSum) add(i int, d *tensor.Tensor, n *node) error {
	if d == nil {
		return fmt.Errorf("nil gradient for %q", n.name)
	}
	if !tensor.EqualShapes(d.Shape, n.shape) {
		return fmt.Errorf("gradient %v for %q, whose output is %v", d.Shape, n.name, n.shape)
	}
	switch {
	case s.grads[i] == nil:
		s.grads[i] = d
	case !s.owned[i]:
		sum := newOutput(d.Shape...)
		compute.Add(sum.Data, s.grads[i].Data, d.Data)
		s.grads[i], s.owned[i], s.fresh[i] = sum, true, true
	default:
		compute.Add(s.grads[i].Data, s.grads[i].Data, d.Data)
	}
	return nil
}

// take removes node i's gradient and says whether it is fresh.
func (s *gradSum) take(i int) (*tensor.Tensor, bool) {
	d, fresh := s.grads[i], s.fresh[i]
	s.grads[i], s.owned[i], s.fresh[i] = nil, false, false
	return d, fresh
}

// retire is called when node j's activation has no consumer left in this
// Forward. Its storage goes back to the buffer pool now when nothing uses it
// any more; at the end of the pass when a layer that Backward runs through
// may keep it (an activation keeps its output, a BatchNorm its input, and
// so on, possibly through a view); and never when it may leave the pass or
// a layer from another package made it.
func (g *Graph) retire(j int, acts []*tensor.Tensor, training bool, holders []Layer) {
	t, l := acts[j], g.nodes[j].layer
	if t == nil || l == nil || !ownsOutputs(l) || cap(t.Data) < minPooled {
		return
	}
	for k, a := range acts {
		if k != j && sharesStorage(a, t) {
			return // a view of it is still live and retires later
		}
	}
	if training {
		if g.spent.pinned(t) {
			g.spent.later(t)
			return
		}
		for _, h := range holders {
			if keeps(h, t) {
				g.spent.later(t)
				return
			}
		}
	}
	g.spent.recycle(t)
}
