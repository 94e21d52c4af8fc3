package nn

import (
	"fmt"

	"github.com/graft-ml/graft/compute"
	"github.com/graft-ml/graft/tensor"
)

// Pool2DConfig configures MaxPool2D and AvgPool2D. Zero strides mean the
// pool size (the Keras and PyTorch default).
type Pool2DConfig struct {
	PoolH, PoolW     int
	StrideH, StrideW int
	Padding          Padding
	// CeilMode rounds the output size up, as PyTorch's ceil_mode=True.
	CeilMode bool
	// CountIncludePad (average pooling only) divides by the whole window,
	// padding included, as PyTorch's default; false divides by the input
	// pixels under the window, as Keras "same" pooling does.
	CountIncludePad bool
}

// pool2D is the window arithmetic shared by the pooling layers.
type pool2D struct {
	name string
	cfg  Pool2DConfig
	cache
	p compute.PoolParams
	// factor, when not nil, rescales each output pixel (oy*OutW+ox) of an
	// average computed over the pixels inside the image to PyTorch's
	// ceil-mode divisor.
	factor []float32
}

func newPool2D(name string, c Pool2DConfig) (pool2D, error) {
	if c.StrideH == 0 {
		c.StrideH = c.PoolH
	}
	if c.StrideW == 0 {
		c.StrideW = c.PoolW
	}
	if c.PoolH < 1 || c.PoolW < 1 || c.StrideH < 1 || c.StrideW < 1 || c.Padding.negative() {
		return pool2D{}, fmt.Errorf("%s: pool %dx%d, stride %dx%d, padding %+v: sizes must be positive and padding non-negative",
			name, c.PoolH, c.PoolW, c.StrideH, c.StrideW, c.Padding)
	}
	return pool2D{name: name, cfg: c}, nil
}

// Name returns the layer's name.
func (l *pool2D) Name() string { return l.name }

// Params returns nil: pooling learns nothing.
func (l *pool2D) Params() []*Param { return nil }

// params works out the window arithmetic for input x, including the extra
// bottom/right padding ceil mode needs and, for averages, the divisor fix.
func (l *pool2D) params(x *tensor.Tensor, avg bool) (compute.PoolParams, []float32, error) {
	c := l.cfg
	p := compute.PoolParams{Batch: x.Shape[0], InH: x.Shape[1], InW: x.Shape[2], C: x.Shape[3],
		KH: c.PoolH, KW: c.PoolW, StrideH: c.StrideH, StrideW: c.StrideW, CountIncludePad: c.CountIncludePad}
	p.PadTop, p.PadBottom, p.PadLeft, p.PadRight = c.Padding.resolve(p.InH, p.InW, c.PoolH, c.PoolW, c.StrideH, c.StrideW, 1, 1)
	padB, padR := p.PadBottom, p.PadRight
	if c.CeilMode {
		p.PadBottom += ceilExtra(p.InH, p.KH, p.StrideH, p.PadTop, p.PadBottom)
		p.PadRight += ceilExtra(p.InW, p.KW, p.StrideW, p.PadLeft, p.PadRight)
	}
	if err := p.Validate(); err != nil {
		return p, nil, fmt.Errorf("%s: input %v: %w", l.name, x.Shape, err)
	}
	if !avg || !p.CountIncludePad || (padB == p.PadBottom && padR == p.PadRight) {
		return p, nil, nil
	}
	// PyTorch divides by the window clipped to the explicitly padded image;
	// compute the average over the real pixels and rescale.
	p.CountIncludePad = false
	oh, ow := p.OutH(), p.OutW()
	f := make([]float32, oh*ow)
	for oy := 0; oy < oh; oy++ {
		y0 := oy*p.StrideH - p.PadTop
		inside := min(y0+p.KH, p.InH) - max(y0, 0)
		padded := min(y0+p.KH, p.InH+padB) - y0
		for ox := 0; ox < ow; ox++ {
			x0 := ox*p.StrideW - p.PadLeft
			insideW := min(x0+p.KW, p.InW) - max(x0, 0)
			paddedW := min(x0+p.KW, p.InW+padR) - x0
			f[oy*ow+ox] = float32(inside*insideW) / float32(padded*paddedW)
		}
	}
	return p, f, nil
}

// ceilExtra is the padding PyTorch's ceil_mode adds after the input: enough
// for one more window, provided that window starts inside the input or the
// leading padding.
func ceilExtra(in, k, s, before, after int) int {
	span := in + before + after - k
	if span < 0 {
		return 0
	}
	out := (span+s-1)/s + 1
	if (out-1)*s >= in+before {
		out--
	}
	return max((out-1)*s+k-(in+before+after), 0)
}

// rescale multiplies each pixel's channels by factor[pixel].
func rescale(data []float32, factor []float32, c int) {
	per := len(factor) * c
	for n := 0; n+per <= len(data); n += per {
		for px, f := range factor {
			row := data[n+px*c : n+(px+1)*c]
			for i := range row {
				row[i] *= f
			}
		}
	}
}

func (l *pool2D) input(inputs []*tensor.Tensor) (*tensor.Tensor, error) {
	l.Release()
	return oneInput(l.name, inputs, 4)
}

// MaxPool2D takes the maximum over each window of each channel; padding
// never wins.
type MaxPool2D struct{ pool2D }

// NewMaxPool2D returns a max-pooling layer.
func NewMaxPool2D(name string, c Pool2DConfig) (*MaxPool2D, error) {
	p, err := newPool2D(name, c)
	return &MaxPool2D{p}, err
}

// Forward pools x.
func (l *MaxPool2D) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	l.Release()
	x, err := l.input(inputs)
	if err != nil {
		return nil, err
	}
	p, _, err := l.params(x, false)
	if err != nil {
		return nil, err
	}
	y := newOutput(p.Batch, p.OutH(), p.OutW(), p.C)
	argmax := indexBuffers.get(len(y.Data)) // every element written
	compute.MaxPool2D(p, x.Data, y.Data, argmax)
	if training {
		l.live, l.p = true, p
		l.idx = argmax
	} else {
		indexBuffers.put(argmax)
	}
	return y, nil
}

// Release drops what the last training Forward kept, handing its argmax
// (which never left the layer) back to the pool.
func (l *MaxPool2D) Release() {
	indexBuffers.put(l.idx)
	l.cache.Release()
}

// Backward sends each gradient to the input its window's maximum came from.
func (l *MaxPool2D) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if err := l.ready(l.name); err != nil {
		return nil, err
	}
	p, argmax := l.p, l.idx
	defer l.Release()
	if err := checkGradShape(l.name, gradOut, []int{p.Batch, p.OutH(), p.OutW(), p.C}); err != nil {
		return nil, err
	}
	if !needInputGrad {
		return nil, nil
	}
	dx := newOutput(p.Batch, p.InH, p.InW, p.C)
	compute.MaxPool2DBackward(p, gradOut.Data, argmax, dx.Data)
	return []*tensor.Tensor{dx}, nil
}

// AvgPool2D averages each window of each channel.
type AvgPool2D struct{ pool2D }

// NewAvgPool2D returns an average-pooling layer.
func NewAvgPool2D(name string, c Pool2DConfig) (*AvgPool2D, error) {
	p, err := newPool2D(name, c)
	return &AvgPool2D{p}, err
}

// Forward pools x.
func (l *AvgPool2D) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	x, err := l.input(inputs)
	if err != nil {
		return nil, err
	}
	p, factor, err := l.params(x, true)
	if err != nil {
		return nil, err
	}
	y := newOutput(p.Batch, p.OutH(), p.OutW(), p.C)
	compute.AvgPool2D(p, x.Data, y.Data)
	if factor != nil {
		rescale(y.Data, factor, p.C)
	}
	if training {
		l.live, l.p, l.factor = true, p, factor
	}
	return y, nil
}

// Release drops what the last training Forward kept.
func (l *AvgPool2D) Release() {
	l.cache.Release()
	l.factor = nil
}

// Backward spreads each gradient evenly over its window.
func (l *AvgPool2D) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if err := l.ready(l.name); err != nil {
		return nil, err
	}
	p, factor := l.p, l.factor
	defer l.Release()
	if err := checkGradShape(l.name, gradOut, []int{p.Batch, p.OutH(), p.OutW(), p.C}); err != nil {
		return nil, err
	}
	if !needInputGrad {
		return nil, nil
	}
	dy := gradOut
	if factor != nil {
		dy = gradOut.Clone()
		rescale(dy.Data, factor, p.C)
	}
	dx := newOutput(p.Batch, p.InH, p.InW, p.C)
	compute.AvgPool2DBackward(p, dy.Data, dx.Data)
	return []*tensor.Tensor{dx}, nil
}
