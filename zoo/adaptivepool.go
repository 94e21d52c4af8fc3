package zoo

import (
	"fmt"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// adaptiveAvgPool is PyTorch's AdaptiveAvgPool2d((OutH, OutW)) on NHWC
// input: output cell (i, j) averages input rows floor(i*H/OutH) to
// ceil((i+1)*H/OutH) and the columns likewise, so a smaller input is
// replicated and a larger one averaged. torchvision's VGG uses it to reach
// 7x7 before the classifier at any input size.
//
// It lives here until nn has an adaptive pooling layer.
type adaptiveAvgPool struct {
	name       string
	outH, outW int
	inShape    []int // input shape of the last training Forward
}

func newAdaptiveAvgPool(name string, outH, outW int) *adaptiveAvgPool {
	return &adaptiveAvgPool{name: name, outH: outH, outW: outW}
}

// Name returns the layer's name.
func (p *adaptiveAvgPool) Name() string { return p.name }

// Params returns nil: pooling learns nothing.
func (p *adaptiveAvgPool) Params() []*nn.Param { return nil }

// Release drops the kept input shape.
func (p *adaptiveAvgPool) Release() { p.inShape = nil }

// String names the layer type in summaries.
func (p *adaptiveAvgPool) String() string { return fmt.Sprintf("AdaptiveAvg%dx%d", p.outH, p.outW) }

func span(i, in, out int) (int, int) { return i * in / out, ((i+1)*in + out - 1) / out }

// Forward pools the single NHWC input to [N, OutH, OutW, C].
func (p *adaptiveAvgPool) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	p.inShape = nil
	if len(inputs) != 1 || inputs[0] == nil || inputs[0].Rank() != 4 {
		return nil, fmt.Errorf("%s: want one NHWC input", p.name)
	}
	x := inputs[0]
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	y := tensor.New(n, p.outH, p.outW, c)
	acc := make([]float32, c)
	for b := range n {
		for i := range p.outH {
			y0, y1 := span(i, h, p.outH)
			for j := range p.outW {
				x0, x1 := span(j, w, p.outW)
				clear(acc)
				for yy := y0; yy < y1; yy++ {
					for xx := x0; xx < x1; xx++ {
						row := x.Data[((b*h+yy)*w+xx)*c:][:c]
						for k, v := range row {
							acc[k] += v
						}
					}
				}
				inv := 1 / float32((y1-y0)*(x1-x0))
				out := y.Data[((b*p.outH+i)*p.outW+j)*c:][:c]
				for k := range out {
					out[k] = acc[k] * inv
				}
			}
		}
	}
	if training {
		p.inShape = append([]int(nil), x.Shape...)
	}
	return y, nil
}

// Backward spreads each output gradient evenly over its window.
func (p *adaptiveAvgPool) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if p.inShape == nil {
		return nil, fmt.Errorf("%s: Backward called without a training Forward (or called twice)", p.name)
	}
	shape := p.inShape
	p.inShape = nil
	n, h, w, c := shape[0], shape[1], shape[2], shape[3]
	if !tensor.EqualShapes(gradOut.Shape, []int{n, p.outH, p.outW, c}) {
		return nil, fmt.Errorf("%s: gradient %v, want %v", p.name, gradOut.Shape, []int{n, p.outH, p.outW, c})
	}
	if !needInputGrad {
		return nil, nil
	}
	dx := tensor.New(shape...)
	for b := range n {
		for i := range p.outH {
			y0, y1 := span(i, h, p.outH)
			for j := range p.outW {
				x0, x1 := span(j, w, p.outW)
				inv := 1 / float32((y1-y0)*(x1-x0))
				g := gradOut.Data[((b*p.outH+i)*p.outW+j)*c:][:c]
				for yy := y0; yy < y1; yy++ {
					for xx := x0; xx < x1; xx++ {
						row := dx.Data[((b*h+yy)*w+xx)*c:][:c]
						for k, v := range g {
							row[k] += v * inv
						}
					}
				}
			}
		}
	}
	return []*tensor.Tensor{dx}, nil
}
