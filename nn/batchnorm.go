package nn

import (
	"fmt"
	"math"

	"github.com/graft-ml/graft/compute"
	"github.com/graft-ml/graft/tensor"
)

// BNConvention selects how BatchNorm's momentum updates the running
// statistics.
type BNConvention int

const (
	// BNKeras: running = m*running + (1-m)*batch, m ≈ 0.99, with the biased
	// batch variance. Default epsilon 1e-3.
	BNKeras BNConvention = iota
	// BNPyTorch: running = (1-m)*running + m*batch, m ≈ 0.1, with the
	// unbiased batch variance for the running variance (normalisation uses
	// the biased one). Default epsilon 1e-5.
	BNPyTorch
)

// BNMode selects how BatchNorm normalises.
type BNMode int

const (
	// BNTrain uses batch statistics and updates the running ones when
	// Forward's training is true, and the running statistics otherwise.
	BNTrain BNMode = iota
	// BNInference always uses the running statistics; gamma and beta still
	// learn.
	BNInference
	// BNFrozen is BNInference with gamma and beta not trainable.
	BNFrozen
)

// BatchNormConfig configures a BatchNorm layer.
type BatchNormConfig struct {
	Channels   int
	Convention BNConvention
	// Momentum and Epsilon default (when zero) to 0.99 and 1e-3 for Keras,
	// 0.1 and 1e-5 for PyTorch.
	Momentum, Epsilon float64
	// NoScale drops gamma and NoCenter drops beta (Keras scale/center=False;
	// PyTorch affine=False is both).
	NoScale, NoCenter bool
}

// BatchNorm normalises over every axis but the last, per channel.
type BatchNorm struct {
	name     string
	channels int
	conv     BNConvention
	momentum float64
	epsilon  float64
	mode     BNMode
	// Gamma and Beta are learned ([Channels], nil when dropped);
	// MovingMean and MovingVariance are the running statistics.
	Gamma, Beta                *Param
	MovingMean, MovingVariance *Param
	cache
	batchStats bool
	mean       []float32 // per-channel mean used by the last training Forward
	invStd     []float32 // per-channel 1/sqrt(var+eps) used by it
}

// NewBatchNorm returns a BatchNorm with gamma 1, beta 0, running mean 0 and
// running variance 1.
func NewBatchNorm(name string, c BatchNormConfig) (*BatchNorm, error) {
	if c.Channels < 1 {
		return nil, fmt.Errorf("%s: %d channels: must be positive", name, c.Channels)
	}
	b := &BatchNorm{name: name, channels: c.Channels, conv: c.Convention, momentum: c.Momentum, epsilon: c.Epsilon}
	if c.Convention != BNKeras && c.Convention != BNPyTorch {
		return nil, fmt.Errorf("%s: unknown convention %d", name, c.Convention)
	}
	if b.momentum == 0 {
		b.momentum = map[BNConvention]float64{BNKeras: 0.99, BNPyTorch: 0.1}[c.Convention]
	}
	if b.epsilon == 0 {
		b.epsilon = map[BNConvention]float64{BNKeras: 1e-3, BNPyTorch: 1e-5}[c.Convention]
	}
	if b.momentum < 0 || b.momentum > 1 || b.epsilon < 0 {
		return nil, fmt.Errorf("%s: momentum %g must be in [0, 1] and epsilon %g non-negative", name, b.momentum, b.epsilon)
	}
	if !c.NoScale {
		b.Gamma = NewParam("gamma", filled(c.Channels, 1))
	}
	if !c.NoCenter {
		b.Beta = NewParam("beta", tensor.New(c.Channels))
	}
	b.MovingMean = &Param{Name: "moving_mean", Value: tensor.New(c.Channels)}
	b.MovingVariance = &Param{Name: "moving_variance", Value: filled(c.Channels, 1)}
	return b, nil
}

func filled(n int, v float32) *tensor.Tensor {
	t := tensor.New(n)
	for i := range t.Data {
		t.Data[i] = v
	}
	return t
}

// Name returns the layer's name.
func (b *BatchNorm) Name() string { return b.name }

// Params returns gamma and beta (those present).
func (b *BatchNorm) Params() []*Param {
	var ps []*Param
	if b.Gamma != nil {
		ps = append(ps, b.Gamma)
	}
	if b.Beta != nil {
		ps = append(ps, b.Beta)
	}
	return ps
}

// State returns the running mean and variance.
func (b *BatchNorm) State() []*Param { return []*Param{b.MovingMean, b.MovingVariance} }

// Mode returns the normalisation mode.
func (b *BatchNorm) Mode() BNMode { return b.mode }

// SetMode sets the normalisation mode. BNFrozen makes gamma and beta not
// trainable; leaving BNFrozen makes them trainable again.
func (b *BatchNorm) SetMode(m BNMode) {
	if m == b.mode {
		return
	}
	if m == BNFrozen || b.mode == BNFrozen {
		for _, p := range b.Params() {
			p.Trainable = m != BNFrozen
		}
	}
	b.mode = m
}

// SetFrozen switches between BNFrozen and BNTrain.
func (b *BatchNorm) SetFrozen(frozen bool) {
	if frozen {
		b.SetMode(BNFrozen)
	} else {
		b.SetMode(BNTrain)
	}
}

// Momentum returns the momentum in the layer's convention.
func (b *BatchNorm) Momentum() float64 { return b.momentum }

// Epsilon returns the variance epsilon.
func (b *BatchNorm) Epsilon() float64 { return b.epsilon }

// Forward normalises x per channel.
func (b *BatchNorm) Forward(inputs []*tensor.Tensor, training bool) (*tensor.Tensor, error) {
	b.Release()
	x, err := oneInput(b.name, inputs, 0)
	if err != nil {
		return nil, err
	}
	if x.Rank() < 2 || x.Dim(-1) != b.channels {
		return nil, fmt.Errorf("%s: input %v, want %d channels on the last axis", b.name, x.Shape, b.channels)
	}
	C := b.channels
	rows := x.Size() / C
	mean := make([]float32, C)
	invStd := make([]float32, C)
	batch := training && b.mode == BNTrain
	if batch {
		if b.conv == BNPyTorch && rows < 2 {
			return nil, fmt.Errorf("%s: input %v has one value per channel; batch statistics need more", b.name, x.Shape)
		}
		m, v := channelMeanVar(x.Data, C)
		bm := float32(b.momentum)
		rm, rv := b.MovingMean.Value.Data, b.MovingVariance.Value.Data
		for c := 0; c < C; c++ {
			mean[c] = float32(m[c])
			invStd[c] = float32(1 / math.Sqrt(v[c]+b.epsilon))
			if b.conv == BNKeras {
				rm[c] = bm*rm[c] + (1-bm)*float32(m[c])
				rv[c] = bm*rv[c] + (1-bm)*float32(v[c])
			} else {
				unbiased := v[c] * float64(rows) / float64(rows-1)
				rm[c] = (1-bm)*rm[c] + bm*float32(m[c])
				rv[c] = (1-bm)*rv[c] + bm*float32(unbiased)
			}
		}
	} else {
		for c := 0; c < C; c++ {
			mean[c] = b.MovingMean.Value.Data[c]
			invStd[c] = float32(1 / math.Sqrt(float64(b.MovingVariance.Value.Data[c])+b.epsilon))
		}
	}
	scale := make([]float32, C)
	shift := make([]float32, C)
	for c := 0; c < C; c++ {
		g := float32(1)
		if b.Gamma != nil {
			g = b.Gamma.Value.Data[c]
		}
		scale[c] = g * invStd[c]
		if b.Beta != nil {
			shift[c] = b.Beta.Value.Data[c]
		}
		shift[c] -= mean[c] * scale[c]
	}
	y := newOutput(x.Shape...)
	compute.ParallelFor(rows, rowGrain(C), func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			xr, yr := x.Data[r*C:(r+1)*C], y.Data[r*C:(r+1)*C]
			yr, scale, shift := yr[:len(xr)], scale[:len(xr)], shift[:len(xr)]
			for c, v := range xr {
				yr[c] = v*scale[c] + shift[c]
			}
		}
	})
	if training {
		b.keep(x)
		b.batchStats, b.mean, b.invStd = batch, mean, invStd
	}
	return y, nil
}

// Release drops what the last training Forward kept.
func (b *BatchNorm) Release() {
	b.cache.Release()
	b.mean, b.invStd = nil, nil
}

// Backward adds gamma's and beta's gradients and returns dLoss/dInput.
func (b *BatchNorm) Backward(gradOut *tensor.Tensor, needInputGrad bool) ([]*tensor.Tensor, error) {
	if err := b.ready(b.name); err != nil {
		return nil, err
	}
	x, mean, invStd, batch := b.ts[0], b.mean, b.invStd, b.batchStats
	defer b.Release()
	if err := checkGradShape(b.name, gradOut, x.Shape); err != nil {
		return nil, err
	}
	C := b.channels
	rows := x.Size() / C
	// sumDy[c] = Σ dy, sumDyXhat[c] = Σ dy·xhat.
	sumDy, sumDyXhat := channelGradSums(x.Data, gradOut.Data, mean, invStd)
	if b.Gamma != nil && b.Gamma.Trainable {
		g := b.Gamma.EnsureGrad().Data
		for c := range g {
			g[c] += float32(sumDyXhat[c])
		}
	}
	if b.Beta != nil && b.Beta.Trainable {
		g := b.Beta.EnsureGrad().Data
		for c := range g {
			g[c] += float32(sumDy[c])
		}
	}
	if !needInputGrad {
		return nil, nil
	}
	k := make([]float32, C)   // gamma·invStd
	a := make([]float32, C)   // mean of dy
	q := make([]float32, C)   // -k·bb·invStd, with bb the mean of dy·xhat
	off := make([]float32, C) // -k·a
	for c := 0; c < C; c++ {
		k[c] = invStd[c]
		if b.Gamma != nil {
			k[c] *= b.Gamma.Value.Data[c]
		}
		if batch {
			a[c] = float32(sumDy[c] / float64(rows))
			bb := sumDyXhat[c] / float64(rows)
			q[c] = float32(-float64(k[c]) * bb * float64(invStd[c]))
			off[c] = -k[c] * a[c]
		}
	}
	dx := newOutput(x.Shape...)
	compute.ParallelFor(rows, rowGrain(C), func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			dyr, dxr := gradOut.Data[r*C:(r+1)*C], dx.Data[r*C:(r+1)*C]
			dxr = dxr[:len(dyr)]
			if !batch {
				for c, d := range dyr {
					dxr[c] = d * k[c]
				}
				continue
			}
			// dx = k·(dy - a - xhat·bb) = k·dy + (x-mean)·q + off.
			xr := x.Data[r*C : (r+1)*C]
			xr, k, mean, q, off := xr[:len(dyr)], k[:len(dyr)], mean[:len(dyr)], q[:len(dyr)], off[:len(dyr)]
			for c, d := range dyr {
				dxr[c] = d*k[c] + (xr[c]-mean[c])*q[c] + off[c]
			}
		}
	})
	return []*tensor.Tensor{dx}, nil
}
