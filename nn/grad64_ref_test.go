package nn

import "math"

// This file holds plain float64 reference forwards of every layer and loss,
// written as straightforward loops from the frameworks' definitions (NHWC
// activations, HWIO kernels, PyTorch's pooling and loss formulas), for the
// float64 gradient checks in grad64_test.go. Nothing here calls the layers
// or the compute kernels.

// t64 is a float64 tensor: a shape and row-major data.
type t64 struct {
	shape []int
	d     []float64
}

func newT64(shape ...int) t64 {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return t64{shape: append([]int(nil), shape...), d: make([]float64, n)}
}

// at is the flat index of element (n, y, x, c) of an NHWC t64.
func (t t64) at(n, y, x, c int) int {
	return ((n*t.shape[1]+y)*t.shape[2]+x)*t.shape[3] + c
}

// lastDim returns the size of t's last axis and the number of rows before it.
func (t t64) lastDim() (rows, c int) {
	c = t.shape[len(t.shape)-1]
	return len(t.d) / c, c
}

// tfSame is TensorFlow's "same" padding of one spatial axis: the output has
// ceil(in/stride) pixels and the odd padding pixel goes after.
func tfSame(in, k, s, d int) (before, after int) {
	out := (in + s - 1) / s
	need := (out-1)*s + (k-1)*d + 1 - in
	if need < 0 {
		need = 0
	}
	return need / 2, need - need/2
}

// convRef configures refConv: kernel size, stride, dilation, explicit
// padding, groups and output channels.
type convRef struct {
	kh, kw, sh, sw, dh, dw   int
	top, bottom, left, right int
	groups, outC             int
}

// refConv is the direct convolution of NHWC x with an HWIO kernel
// w[KH][KW][InC/groups][OutC] plus bias (nil for none): output channel oc
// belongs to group oc/(OutC/groups) and reads that group's input channels.
// A depthwise kernel [KH][KW][C][M] is the same array as the grouped kernel
// [KH][KW][1][C*M] with groups = C and output channel c*M+j.
func refConv(x t64, w, bias []float64, c convRef) t64 {
	n, h, wd, inC := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	oh := (h+c.top+c.bottom-(c.kh-1)*c.dh-1)/c.sh + 1
	ow := (wd+c.left+c.right-(c.kw-1)*c.dw-1)/c.sw + 1
	icg, ocg := inC/c.groups, c.outC/c.groups
	y := newT64(n, oh, ow, c.outC)
	for b := 0; b < n; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for oc := 0; oc < c.outC; oc++ {
					g := oc / ocg
					s := 0.0
					if bias != nil {
						s = bias[oc]
					}
					for ky := 0; ky < c.kh; ky++ {
						for kx := 0; kx < c.kw; kx++ {
							iy, ix := oy*c.sh-c.top+ky*c.dh, ox*c.sw-c.left+kx*c.dw
							if iy < 0 || iy >= h || ix < 0 || ix >= wd {
								continue // zero padding
							}
							for i := 0; i < icg; i++ {
								s += x.d[x.at(b, iy, ix, g*icg+i)] * w[((ky*c.kw+kx)*icg+i)*c.outC+oc]
							}
						}
					}
					y.d[y.at(b, oy, ox, oc)] = s
				}
			}
		}
	}
	return y
}

// refDense is y = x·k + bias over the last axis, k [in][out].
func refDense(x t64, k, bias []float64, out int) t64 {
	rows, in := x.lastDim()
	y := newT64(append(append([]int(nil), x.shape[:len(x.shape)-1]...), out)...)
	for r := 0; r < rows; r++ {
		for o := 0; o < out; o++ {
			s := 0.0
			if bias != nil {
				s = bias[o]
			}
			for i := 0; i < in; i++ {
				s += x.d[r*in+i] * k[i*out+o]
			}
			y.d[r*out+o] = s
		}
	}
	return y
}

// refBatchNorm normalises each channel (last axis) with the batch's mean and
// biased variance when batch is true, and with the running mean and variance
// otherwise; gamma and beta may be nil (1 and 0).
func refBatchNorm(x t64, gamma, beta []float64, batch bool, runMean, runVar []float64, eps float64) t64 {
	rows, C := x.lastDim()
	y := newT64(x.shape...)
	for c := 0; c < C; c++ {
		mean, variance := runMean[c], runVar[c]
		if batch {
			mean, variance = 0, 0
			for r := 0; r < rows; r++ {
				mean += x.d[r*C+c]
			}
			mean /= float64(rows)
			for r := 0; r < rows; r++ {
				d := x.d[r*C+c] - mean
				variance += d * d
			}
			variance /= float64(rows)
		}
		g, b := 1.0, 0.0
		if gamma != nil {
			g = gamma[c]
		}
		if beta != nil {
			b = beta[c]
		}
		for r := 0; r < rows; r++ {
			y.d[r*C+c] = g*(x.d[r*C+c]-mean)/math.Sqrt(variance+eps) + b
		}
	}
	return y
}

// refElementwise applies f to every element.
func refElementwise(x t64, f func(float64) float64) t64 {
	y := newT64(x.shape...)
	for i, v := range x.d {
		y.d[i] = f(v)
	}
	return y
}

func sigmoid64(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

// Scalar definitions of the activations.
var (
	reluRef      = func(v float64) float64 { return math.Max(v, 0) }
	relu6Ref     = func(v float64) float64 { return math.Min(math.Max(v, 0), 6) }
	sigmoidRef   = sigmoid64
	swishRef     = func(v float64) float64 { return v * sigmoid64(v) }
	hardSwishRef = func(v float64) float64 { return v * relu6Ref(v+3) / 6 }
)

func leakyReLURef(alpha float64) func(float64) float64 {
	return func(v float64) float64 {
		if v > 0 {
			return v
		}
		return alpha * v
	}
}

func hardSigmoidRef(slope, offset float64) func(float64) float64 {
	return func(v float64) float64 { return math.Min(math.Max(slope*v+offset, 0), 1) }
}

// refSoftmax is exp(x)/Σexp(x) along the last axis.
func refSoftmax(x t64) t64 {
	rows, c := x.lastDim()
	y := newT64(x.shape...)
	for r := 0; r < rows; r++ {
		s := 0.0
		for k := 0; k < c; k++ {
			s += math.Exp(x.d[r*c+k])
		}
		for k := 0; k < c; k++ {
			y.d[r*c+k] = math.Exp(x.d[r*c+k]) / s
		}
	}
	return y
}

// poolRef configures refPool: window, stride, explicit padding, PyTorch's
// ceil mode, max or average, and for averages PyTorch's count_include_pad.
type poolRef struct {
	kh, kw, sh, sw           int
	top, bottom, left, right int
	ceil, max, includePad    bool
}

// poolOutSize is PyTorch's pooling output size: floor or ceil of
// (in + padding - k)/s + 1, where in ceil mode the last window must start
// inside the input or its leading padding.
func poolOutSize(in, k, s, before, after int, ceil bool) int {
	span := in + before + after - k
	if !ceil {
		return span/s + 1
	}
	out := (span+s-1)/s + 1
	if (out-1)*s >= in+before {
		out--
	}
	return out
}

// refPool is max or average pooling of NHWC x. Padding never wins a max. An
// average sums the pixels inside the image and divides by their count, or
// with includePad by the window clipped to the explicitly padded image (so
// ceil mode's extra pixels do not count), as PyTorch's avg_pool2d.
func refPool(x t64, c poolRef) t64 {
	n, h, w, C := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	oh, ow := poolOutSize(h, c.kh, c.sh, c.top, c.bottom, c.ceil), poolOutSize(w, c.kw, c.sw, c.left, c.right, c.ceil)
	y := newT64(n, oh, ow, C)
	for b := 0; b < n; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				hs, ws := oy*c.sh-c.top, ox*c.sw-c.left
				he, we := min(hs+c.kh, h+c.bottom), min(ws+c.kw, w+c.right)
				padded := (he - hs) * (we - ws)
				hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
				for ch := 0; ch < C; ch++ {
					acc := math.Inf(-1)
					if !c.max {
						acc = 0
					}
					for iy := hs; iy < he; iy++ {
						for ix := ws; ix < we; ix++ {
							v := x.d[x.at(b, iy, ix, ch)]
							if c.max {
								acc = math.Max(acc, v)
							} else {
								acc += v
							}
						}
					}
					if !c.max {
						if c.includePad {
							acc /= float64(padded)
						} else {
							acc /= float64((he - hs) * (we - ws))
						}
					}
					y.d[y.at(b, oy, ox, ch)] = acc
				}
			}
		}
	}
	return y
}

// refGlobalPool is the mean or maximum of each image's channel, shaped [N, C]
// or [N, 1, 1, C].
func refGlobalPool(x t64, takeMax, keepDims bool) t64 {
	n, h, w, C := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	y := newT64(n, C)
	if keepDims {
		y = newT64(n, 1, 1, C)
	}
	for b := 0; b < n; b++ {
		for ch := 0; ch < C; ch++ {
			acc := math.Inf(-1)
			if !takeMax {
				acc = 0
			}
			for iy := 0; iy < h; iy++ {
				for ix := 0; ix < w; ix++ {
					if v := x.d[x.at(b, iy, ix, ch)]; takeMax {
						acc = math.Max(acc, v)
					} else {
						acc += v
					}
				}
			}
			if !takeMax {
				acc /= float64(h * w)
			}
			y.d[b*C+ch] = acc
		}
	}
	return y
}

// refZeroPad surrounds each NHWC image with zero rows and columns.
func refZeroPad(x t64, top, bottom, left, right int) t64 {
	n, h, w, C := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	y := newT64(n, h+top+bottom, w+left+right, C)
	for b := 0; b < n; b++ {
		for iy := 0; iy < h; iy++ {
			for ix := 0; ix < w; ix++ {
				for ch := 0; ch < C; ch++ {
					y.d[y.at(b, iy+top, ix+left, ch)] = x.d[x.at(b, iy, ix, ch)]
				}
			}
		}
	}
	return y
}

// refMultiply multiplies a by b element-wise, or broadcasts a gate of
// shape [N, C] or [N, 1, 1, C] (either operand) over the other's H and W.
func refMultiply(a, b t64) t64 {
	if len(a.d) < len(b.d) {
		a, b = b, a
	}
	y := newT64(a.shape...)
	if len(a.d) == len(b.d) {
		for i := range y.d {
			y.d[i] = a.d[i] * b.d[i]
		}
		return y
	}
	n, h, w, C := a.shape[0], a.shape[1], a.shape[2], a.shape[3]
	for i := 0; i < n; i++ {
		for iy := 0; iy < h; iy++ {
			for ix := 0; ix < w; ix++ {
				for ch := 0; ch < C; ch++ {
					k := a.at(i, iy, ix, ch)
					y.d[k] = a.d[k] * b.d[i*C+ch]
				}
			}
		}
	}
	return y
}

// refConcat joins the inputs' last axes.
func refConcat(xs []t64) t64 {
	rows, _ := xs[0].lastDim()
	total := 0
	for _, x := range xs {
		total += x.shape[len(x.shape)-1]
	}
	y := newT64(append(append([]int(nil), xs[0].shape[:len(xs[0].shape)-1]...), total)...)
	for r := 0; r < rows; r++ {
		off := r * total
		for _, x := range xs {
			_, w := x.lastDim()
			copy(y.d[off:off+w], x.d[r*w:(r+1)*w])
			off += w
		}
	}
	return y
}

// refCrossEntropy is PyTorch's CrossEntropyLoss(weight, label_smoothing=eps)
// with mean reduction. With integer labels (probs nil) the loss of row i is
// (1-eps)·w[y]·(-log p[y]) + eps/C·Σ_k w[k]·(-log p[k]) and the mean divides
// by Σ_i w[y_i]; with probability labels the target (1-eps)·q + eps/C is
// weighted per class and the mean divides by N. weights nil means 1.
func refCrossEntropy(logits t64, classes []int, probs []float64, eps float64, weights []float64) float64 {
	n, C := logits.lastDim()
	w := func(k int) float64 {
		if weights == nil {
			return 1
		}
		return weights[k]
	}
	var total, denom float64
	for i := 0; i < n; i++ {
		row := logits.d[i*C : (i+1)*C]
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(v)
		}
		nll := func(k int) float64 { return -math.Log(math.Exp(row[k]) / sum) }
		if probs == nil {
			y := classes[i]
			total += (1 - eps) * w(y) * nll(y)
			for k := 0; k < C; k++ {
				total += eps / float64(C) * w(k) * nll(k)
			}
			denom += w(y)
			continue
		}
		for k := 0; k < C; k++ {
			total += ((1-eps)*probs[i*C+k] + eps/float64(C)) * w(k) * nll(k)
		}
		denom++
	}
	return total / denom
}

// refBinaryCrossEntropy is PyTorch's BCEWithLogitsLoss(pos_weight) with mean
// reduction: -[pw·y·log σ(x) + (1-y)·log(1-σ(x))], pw per class (last axis),
// nil meaning 1.
func refBinaryCrossEntropy(logits, labels t64, posWeight []float64) float64 {
	_, C := logits.lastDim()
	total := 0.0
	for i, x := range logits.d {
		pw := 1.0
		if posWeight != nil {
			pw = posWeight[i%C]
		}
		y := labels.d[i]
		total -= pw*y*math.Log(sigmoid64(x)) + (1-y)*math.Log(1-sigmoid64(x))
	}
	return total / float64(len(logits.d))
}
