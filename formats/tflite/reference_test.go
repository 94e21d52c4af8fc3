package tflite

import (
	"fmt"
	"math"

	"github.com/graft-ml/graft/compute"
	"github.com/graft-ml/graft/tensor"
)

// runPlan is a straightforward float32 interpreter of a Plan built on the
// compute package's kernels. It is the reference the nn.Graph conversion is
// checked against, and it checks the plan itself against the golden data.
func runPlan(p *Plan, x *tensor.Tensor) (map[int]*tensor.Tensor, error) {
	vals := map[int]*tensor.Tensor{p.Input: x}
	for _, n := range p.Nodes {
		var ins []*tensor.Tensor
		for _, i := range n.Inputs {
			v := vals[i]
			if v == nil {
				return nil, fmt.Errorf("%s: input %d not computed", n.Name, i)
			}
			ins = append(ins, v)
		}
		y, err := runNode(n, ins)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", n.Name, n.Kind, err)
		}
		applyActivation(n.Activation, y.Data)
		vals[n.Output] = y
	}
	return vals, nil
}

func convParams(n *Node, xs []int, outC int) compute.ConvParams {
	kh, kw := n.PoolH, n.PoolW
	if n.Kernel != nil {
		kh, kw = n.Kernel.Shape[0], n.Kernel.Shape[1]
	}
	p := compute.ConvParams{Batch: xs[0], InH: xs[1], InW: xs[2], InC: xs[3], OutC: outC, KH: kh, KW: kw,
		StrideH: n.StrideH, StrideW: n.StrideW, DilationH: n.DilationH, DilationW: n.DilationW, Groups: max(n.Groups, 1)}
	p.PadTop, p.PadBottom, p.PadLeft, p.PadRight = n.Pad[0], n.Pad[1], n.Pad[2], n.Pad[3]
	if n.Same {
		p.PadTop, p.PadBottom = compute.SamePadding(p.InH, kh, p.StrideH, p.DilationH)
		p.PadLeft, p.PadRight = compute.SamePadding(p.InW, kw, p.StrideW, p.DilationW)
	}
	return p
}

func runNode(n *Node, ins []*tensor.Tensor) (*tensor.Tensor, error) {
	x := ins[0]
	switch n.Kind {
	case KindConv2D, KindDepthwiseConv2D:
		outC := n.Kernel.Shape[3]
		if n.Kind == KindDepthwiseConv2D {
			outC *= n.Kernel.Shape[2]
		}
		p := convParams(n, x.Shape, outC)
		if err := p.Validate(); err != nil {
			return nil, err
		}
		y := tensor.New(p.Batch, p.OutH(), p.OutW(), outC)
		var bias []float32
		if n.Bias != nil {
			bias = n.Bias.Data
		}
		compute.Conv2D(p, x.Data, n.Kernel.Data, bias, y.Data)
		return y, nil
	case KindAveragePool, KindMaxPool:
		p := convParams(n, x.Shape, x.Shape[3])
		oh, ow, c := p.OutH(), p.OutW(), p.InC
		y := tensor.New(p.Batch, oh, ow, c)
		for b := 0; b < p.Batch; b++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					for ch := 0; ch < c; ch++ {
						s, cnt, m := 0.0, 0, math.Inf(-1)
						for ky := 0; ky < p.KH; ky++ {
							iy := oy*p.StrideH - p.PadTop + ky
							for kx := 0; kx < p.KW; kx++ {
								ix := ox*p.StrideW - p.PadLeft + kx
								if iy < 0 || iy >= p.InH || ix < 0 || ix >= p.InW {
									continue
								}
								v := float64(x.Data[((b*p.InH+iy)*p.InW+ix)*c+ch])
								s += v
								cnt++
								m = math.Max(m, v)
							}
						}
						o := &y.Data[((b*oh+oy)*ow+ox)*c+ch]
						if n.Kind == KindMaxPool {
							*o = float32(m)
						} else {
							*o = float32(s / float64(cnt))
						}
					}
				}
			}
		}
		return y, nil
	case KindMean:
		b, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		y := tensor.New(b, c)
		for i := 0; i < b; i++ {
			for ch := 0; ch < c; ch++ {
				s := 0.0
				for j := 0; j < h*w; j++ {
					s += float64(x.Data[(i*h*w+j)*c+ch])
				}
				y.Data[i*c+ch] = float32(s / float64(h*w))
			}
		}
		if n.KeepDims {
			return y.Reshape(b, 1, 1, c)
		}
		return y, nil
	case KindDense:
		in, out := n.Kernel.Shape[0], n.Kernel.Shape[1]
		rows := x.Size() / in
		y := tensor.New(rows, out)
		compute.Gemm(false, false, rows, out, in, 1, x.Data, in, n.Kernel.Data, out, 0, y.Data, out)
		if n.Bias != nil {
			for r := 0; r < rows; r++ {
				for j := 0; j < out; j++ {
					y.Data[r*out+j] += n.Bias.Data[j]
				}
			}
		}
		return y, nil
	case KindReshape:
		return x.Clone().Reshape(n.Shape...)
	case KindSoftmax:
		y := x.Clone()
		c := y.Shape[len(y.Shape)-1]
		for r := 0; r < y.Size()/c; r++ {
			row := y.Data[r*c : (r+1)*c]
			m := math.Inf(-1)
			for _, v := range row {
				m = math.Max(m, float64(v))
			}
			s := 0.0
			for i, v := range row {
				e := math.Exp(float64(n.Beta) * (float64(v) - m))
				row[i] = float32(e)
				s += e
			}
			for i := range row {
				row[i] = float32(float64(row[i]) / s)
			}
		}
		return y, nil
	case KindAdd, KindMul:
		y := x.Clone()
		other := n.Const
		if len(ins) == 2 {
			other = ins[1]
		}
		for i := range y.Data {
			v := other.Data[i%other.Size()]
			if n.Kind == KindAdd {
				y.Data[i] += v
			} else {
				y.Data[i] *= v
			}
		}
		return y, nil
	case KindConcat:
		shape := append([]int(nil), x.Shape...)
		shape[n.Axis] = 0
		for _, t := range ins {
			shape[n.Axis] += t.Shape[n.Axis]
		}
		y := tensor.New(shape...)
		outer := numel(shape[:n.Axis])
		pos := 0
		for o := 0; o < outer; o++ {
			for _, t := range ins {
				chunk := t.Size() / outer
				copy(y.Data[pos:], t.Data[o*chunk:(o+1)*chunk])
				pos += chunk
			}
		}
		return y, nil
	case KindPad:
		b, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		oh, ow := h+n.Pad[0]+n.Pad[1], w+n.Pad[2]+n.Pad[3]
		y := tensor.New(b, oh, ow, c)
		for i := 0; i < b; i++ {
			for r := 0; r < h; r++ {
				copy(y.Data[((i*oh+r+n.Pad[0])*ow+n.Pad[2])*c:], x.Data[((i*h+r)*w)*c:((i*h+r)*w+w)*c])
			}
		}
		return y, nil
	case KindIdentity:
		return x.Clone(), nil
	case KindReLU, KindReLU6, KindLogistic, KindHardSwish:
		y := x.Clone()
		for i, v := range y.Data {
			switch n.Kind {
			case KindReLU:
				y.Data[i] = max(v, 0)
			case KindReLU6:
				y.Data[i] = min(max(v, 0), 6)
			case KindLogistic:
				y.Data[i] = float32(1 / (1 + math.Exp(-float64(v))))
			case KindHardSwish:
				y.Data[i] = v * min(max(v+3, 0), 6) / 6
			}
		}
		return y, nil
	}
	return nil, fmt.Errorf("kind %s has no reference", n.Kind)
}

func applyActivation(a Activation, d []float32) {
	for i, v := range d {
		switch a {
		case ActRelu:
			d[i] = max(v, 0)
		case ActRelu6:
			d[i] = min(max(v, 0), 6)
		case ActReluN1To1:
			d[i] = min(max(v, -1), 1)
		case ActTanh:
			d[i] = float32(math.Tanh(float64(v)))
		}
	}
}
