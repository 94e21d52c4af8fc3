package tflite

import (
	"fmt"
	"strings"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// graphBuilder turns a Plan into an nn.Graph.
type graphBuilder struct {
	plan   *Plan
	g      *nn.Graph
	nodeOf map[int]string  // tensor index -> name of the graph node computing it
	used   map[string]bool // node names taken
}

// BuildGraph converts a plan to an nn.Graph whose single input is named
// after the plan's input tensor. It returns the graph and, for every
// tensor the graph computes, the name of its node. Node names are the
// TFLite tensor names (the part before any ';') with '/' replaced by '.'.
func BuildGraph(p *Plan) (*nn.Graph, map[int]string, error) {
	b := &graphBuilder{plan: p, g: nn.NewGraph(), nodeOf: map[int]string{}, used: map[string]bool{}}
	in := b.name(p.Tensors[p.Input].Name)
	if err := b.g.Input(in); err != nil {
		return nil, nil, err
	}
	b.nodeOf[p.Input] = in
	for _, n := range p.Nodes {
		if err := b.convert(n); err != nil {
			return nil, nil, fmt.Errorf("tflite: node %q (%s): %w", n.Name, n.Kind, err)
		}
	}
	var outs []string
	for _, o := range p.Outputs {
		outs = append(outs, b.nodeOf[o])
	}
	if err := b.g.SetOutputs(outs...); err != nil {
		return nil, nil, err
	}
	return b.g, b.nodeOf, nil
}

// name returns a unique graph node name derived from a tensor name.
func (b *graphBuilder) name(tensorName string) string {
	base, _, _ := strings.Cut(tensorName, ";")
	base = strings.ReplaceAll(base, "/", ".")
	if base == "" {
		base = "node"
	}
	name := base
	for k := 2; b.used[name]; k++ {
		name = fmt.Sprintf("%s_%d", base, k)
	}
	b.used[name] = true
	return name
}

// inputs returns the node names of n's inputs.
func (b *graphBuilder) inputs(n *Node) ([]string, error) {
	var names []string
	for _, i := range n.Inputs {
		name, ok := b.nodeOf[i]
		if !ok {
			return nil, fmt.Errorf("input tensor %d %q is not computed", i, b.plan.Tensors[i].Name)
		}
		names = append(names, name)
	}
	return names, nil
}

// add adds layer as the node computing n's output, followed by n's fused
// activation when it has one.
func (b *graphBuilder) add(n *Node, layer func(name string) (nn.Layer, error), inputs ...string) error {
	name := b.name(n.Name)
	l, err := layer(name)
	if err != nil {
		return err
	}
	if err := b.g.Add(name, l, inputs...); err != nil {
		return err
	}
	if n.Activation != ActNone {
		var act nn.Layer
		actName := b.name(name + "_" + strings.ToLower(n.Activation.String()))
		switch n.Activation {
		case ActRelu:
			act = nn.NewReLU(actName)
		case ActRelu6:
			act = nn.NewReLU6(actName)
		default:
			return fmt.Errorf("fused activation %s has no Graft layer", n.Activation)
		}
		if err := b.g.Add(actName, act, name); err != nil {
			return err
		}
		name = actName
	}
	b.nodeOf[n.Output] = name
	return nil
}

// setParam copies value into a freshly made parameter, checking its shape.
func setParam(p *nn.Param, value *tensor.Tensor) error {
	if p == nil || value == nil {
		if p == nil && value == nil {
			return nil
		}
		return fmt.Errorf("parameter presence mismatch")
	}
	if !tensor.SameShape(p.Value, value) {
		return fmt.Errorf("%s: shape %v, the file has %v", p.Name, p.Value.Shape, value.Shape)
	}
	copy(p.Value.Data, value.Data)
	return nil
}

func nnPadding(n *Node) nn.Padding {
	if n.Same {
		return nn.PadSame()
	}
	return nn.PadExplicit(n.Pad[0], n.Pad[1], n.Pad[2], n.Pad[3])
}

func (b *graphBuilder) convert(n *Node) error {
	ins, err := b.inputs(n)
	if err != nil {
		return err
	}
	switch n.Kind {
	case KindConv2D:
		return b.add(n, func(name string) (nn.Layer, error) {
			k := n.Kernel.Shape
			l, err := nn.NewConv2D(name, nn.Conv2DConfig{InChannels: k[2] * n.Groups, Filters: k[3], KernelH: k[0], KernelW: k[1],
				StrideH: n.StrideH, StrideW: n.StrideW, DilationH: n.DilationH, DilationW: n.DilationW,
				Padding: nnPadding(n), Groups: n.Groups, NoBias: n.Bias == nil, Init: nn.InitZeros})
			if err != nil {
				return nil, err
			}
			if err := setParam(l.Kernel, n.Kernel); err != nil {
				return nil, err
			}
			return l, setParam(l.Bias, n.Bias)
		}, ins...)
	case KindDepthwiseConv2D:
		return b.add(n, func(name string) (nn.Layer, error) {
			k := n.Kernel.Shape
			l, err := nn.NewDepthwiseConv2D(name, nn.DepthwiseConv2DConfig{Channels: k[2], Multiplier: k[3], KernelH: k[0], KernelW: k[1],
				StrideH: n.StrideH, StrideW: n.StrideW, DilationH: n.DilationH, DilationW: n.DilationW,
				Padding: nnPadding(n), NoBias: n.Bias == nil, Init: nn.InitZeros})
			if err != nil {
				return nil, err
			}
			if err := setParam(l.Kernel, n.Kernel); err != nil {
				return nil, err
			}
			return l, setParam(l.Bias, n.Bias)
		}, ins...)
	case KindAveragePool, KindMaxPool:
		return b.add(n, func(name string) (nn.Layer, error) {
			// TFLite averages over the pixels inside the image only.
			c := nn.Pool2DConfig{PoolH: n.PoolH, PoolW: n.PoolW, StrideH: n.StrideH, StrideW: n.StrideW, Padding: nnPadding(n)}
			if n.Kind == KindMaxPool {
				return nn.NewMaxPool2D(name, c)
			}
			return nn.NewAvgPool2D(name, c)
		}, ins...)
	case KindMean:
		return b.add(n, func(name string) (nn.Layer, error) { return nn.NewGlobalAvgPool(name, n.KeepDims), nil }, ins...)
	case KindDense:
		return b.convertDense(n, ins[0])
	case KindReshape:
		xs := b.plan.Tensors[n.Inputs[0]].Shape
		if len(n.Shape) == 0 || (n.Shape[0] != -1 && (len(xs) == 0 || n.Shape[0] != xs[0])) {
			return fmt.Errorf("reshape %v to %v changes the batch axis", xs, n.Shape)
		}
		return b.add(n, func(name string) (nn.Layer, error) { return nn.NewReshape(name, n.Shape[1:]...), nil }, ins...)
	case KindSoftmax:
		if n.Beta != 1 {
			return fmt.Errorf("softmax beta %g: only 1 is supported", n.Beta)
		}
		return b.add(n, func(name string) (nn.Layer, error) { return nn.NewSoftmax(name), nil }, ins...)
	case KindAdd, KindMul:
		if n.Const != nil {
			return b.convertConstOp(n, ins[0])
		}
		return b.add(n, func(name string) (nn.Layer, error) {
			if n.Kind == KindAdd {
				return nn.NewAdd(name), nil
			}
			return nn.NewMultiply(name), nil
		}, ins...)
	case KindConcat:
		if n.Axis != len(b.plan.Tensors[n.Inputs[0]].Shape)-1 {
			return fmt.Errorf("concatenation along axis %d: only the last axis is supported", n.Axis)
		}
		return b.add(n, func(name string) (nn.Layer, error) { return nn.NewConcat(name), nil }, ins...)
	case KindPad:
		return b.add(n, func(name string) (nn.Layer, error) {
			return nn.NewZeroPadding2D(name, n.Pad[0], n.Pad[1], n.Pad[2], n.Pad[3])
		}, ins...)
	case KindIdentity:
		b.nodeOf[n.Output] = ins[0] // no computation in float
		return nil
	case KindReLU, KindReLU6, KindLogistic, KindHardSwish:
		return b.add(n, func(name string) (nn.Layer, error) {
			switch n.Kind {
			case KindReLU:
				return nn.NewReLU(name), nil
			case KindReLU6:
				return nn.NewReLU6(name), nil
			case KindLogistic:
				return nn.NewSigmoid(name), nil
			}
			return nn.NewHardSwish(name), nil
		}, ins...)
	}
	return fmt.Errorf("no Graft layer for %s", n.Kind)
}

// convertDense flattens a rank > 2 input, applies the dense layer and
// restores the declared output shape when it is not [N, Out].
func (b *graphBuilder) convertDense(n *Node, in string) error {
	if xs := b.plan.Tensors[n.Inputs[0]].Shape; len(xs) != 2 {
		flat := b.name(n.Name + "_flatten")
		if err := b.g.Add(flat, nn.NewReshape(flat, n.Kernel.Shape[0]), in); err != nil {
			return err
		}
		in = flat
	}
	err := b.add(n, func(name string) (nn.Layer, error) {
		k := n.Kernel.Shape
		l, err := nn.NewDense(name, nn.DenseConfig{In: k[0], Out: k[1], NoBias: n.Bias == nil, Init: nn.InitZeros})
		if err != nil {
			return nil, err
		}
		if err := setParam(l.Kernel, n.Kernel); err != nil {
			return nil, err
		}
		return l, setParam(l.Bias, n.Bias)
	}, in)
	if err != nil || len(n.OutShape) == 2 || len(n.OutShape) == 0 {
		return err
	}
	// keep_num_dims: give the [N, Out] result the declared shape.
	shaped := b.name(n.Name + "_reshape")
	if err := b.g.Add(shaped, nn.NewReshape(shaped, n.OutShape[1:]...), b.nodeOf[n.Output]); err != nil {
		return err
	}
	b.nodeOf[n.Output] = shaped
	return nil
}

// convertConstOp expresses ADD or MUL of a per-channel (or scalar)
// constant on an NHWC input as a frozen 1x1 depthwise convolution: MUL puts
// the constant in the kernel, ADD in the bias with a kernel of ones.
func (b *graphBuilder) convertConstOp(n *Node, in string) error {
	xs := b.plan.Tensors[n.Inputs[0]].Shape
	if len(xs) != 4 {
		return fmt.Errorf("a constant operand needs an NHWC input, not %v", xs)
	}
	c, values := xs[3], n.Const.Data
	return b.add(n, func(name string) (nn.Layer, error) {
		l, err := nn.NewDepthwiseConv2D(name, nn.DepthwiseConv2DConfig{Channels: c, Multiplier: 1, KernelH: 1, KernelW: 1,
			NoBias: n.Kind == KindMul, Init: nn.InitZeros})
		if err != nil {
			return nil, err
		}
		if n.Kind == KindMul {
			copy(l.Kernel.Value.Data, values)
		} else {
			for i := range l.Kernel.Value.Data {
				l.Kernel.Value.Data[i] = 1
			}
			copy(l.Bias.Value.Data, values)
			l.Bias.Trainable = false
		}
		l.Kernel.Trainable = false
		return l, nil
	}, in)
}
