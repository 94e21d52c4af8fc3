package optim

import (
	"fmt"
	"math"

	"github.com/graft-ml/graft/nn"
)

// ClipGradNorm scales the gradients of the trainable parameters with a
// gradient so that their global L2 norm is at most maxNorm, like
// torch.nn.utils.clip_grad_norm_: every gradient is multiplied by
// min(1, maxNorm/(norm+1e-6)). It returns the norm before clipping.
//
// The norm is accumulated in float64. A NaN or infinite norm is an error
// (torch's error_if_nonfinite=True) and leaves the gradients unchanged.
func ClipGradNorm(params []*nn.Param, maxNorm float64) (float64, error) {
	if !finite(maxNorm) || maxNorm < 0 {
		return 0, fmt.Errorf("optim: clip grad norm: max norm %v must be finite and non-negative", maxNorm)
	}
	sum := 0.0
	for _, p := range params {
		if !clippable(p) {
			continue
		}
		for _, v := range p.Grad.Data {
			sum += float64(v) * float64(v)
		}
	}
	norm := math.Sqrt(sum)
	if !finite(norm) {
		for _, p := range params {
			if clippable(p) && p.Grad.FirstNonFinite() >= 0 {
				return norm, fmt.Errorf("optim: clip grad norm: gradient of %q is not finite", p.Name)
			}
		}
		return norm, fmt.Errorf("optim: clip grad norm: total norm is not finite")
	}
	coef := maxNorm / (norm + 1e-6)
	if coef >= 1 {
		return norm, nil
	}
	c := float32(coef)
	for _, p := range params {
		if !clippable(p) {
			continue
		}
		g := p.Grad.Data
		forChunks(len(g), func(s, e int) {
			for i := s; i < e; i++ {
				g[i] *= c
			}
		})
	}
	return norm, nil
}

// ClipGradValue clamps every gradient element of the trainable parameters
// to [-limit, limit], like torch.nn.utils.clip_grad_value_. NaN elements
// stay NaN.
func ClipGradValue(params []*nn.Param, limit float64) error {
	if math.IsNaN(limit) || limit < 0 {
		return fmt.Errorf("optim: clip grad value: limit %v must be non-negative", limit)
	}
	hi := float32(limit)
	if limit > math.MaxFloat32 {
		hi = float32(math.Inf(1))
	}
	lo := -hi
	for _, p := range params {
		if !clippable(p) {
			continue
		}
		g := p.Grad.Data
		forChunks(len(g), func(s, e int) {
			for i := s; i < e; i++ {
				switch v := g[i]; {
				case v > hi:
					g[i] = hi
				case v < lo:
					g[i] = lo
				}
			}
		})
	}
	return nil
}

// clippable reports whether clipping touches p: trainable with a gradient.
func clippable(p *nn.Param) bool { return p != nil && p.Trainable && p.Grad != nil }
