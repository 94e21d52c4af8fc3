package optim

import "math"

// The element-wise update rules, one function per rule, written over
// equal-length slices so the compiler drops bounds checks. Each mirrors
// the order of torch's float32 operations; scalars are rounded to float32
// as torch does for float32 tensors.

// sgdPlain: p -= lr*(g + wd*p).
func sgdPlain(w, g []float32, wd, nlr float32) {
	g = g[:len(w)]
	if wd == 0 {
		for i, gi := range g {
			w[i] += nlr * gi
		}
		return
	}
	for i, gi := range g {
		w[i] += nlr * (gi + wd*w[i])
	}
}

// sgdMomentum updates buf and w; first marks the step that initialises
// the buffer with the gradient.
func sgdMomentum(w, g, buf []float32, wd, mom, keep, nlr float32, nesterov, first bool) {
	g, buf = g[:len(w)], buf[:len(w)]
	for i, gi := range g {
		d := gi
		if wd != 0 {
			d += wd * w[i]
		}
		b := d
		if !first {
			b = buf[i]*mom + keep*d
		}
		buf[i] = b
		if nesterov {
			d += mom * b
		} else {
			d = b
		}
		w[i] += nlr * d
	}
}

// adamArgs are Adam's per-step scalars.
type adamArgs struct {
	b1, ob1, b2, ob2 float32 // beta1, 1-beta1, beta2, 1-beta2
	bc2Sqrt, eps     float32 // sqrt(1-beta2^t), eps
	nStep            float32 // -lr/(1-beta1^t)
	l2               float32 // coupled weight decay (Adam)
	decay            float32 // 1-lr*wd (AdamW), 1 when none
}

// adam updates m, v (and vmax when non-nil) and w.
func adam(w, g, m, v, vmax []float32, a adamArgs) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	if vmax != nil {
		vmax = vmax[:len(w)]
	}
	for i, gi := range g {
		wi := w[i]
		if a.decay != 1 {
			wi *= a.decay
		}
		if a.l2 != 0 {
			gi += a.l2 * wi
		}
		mi := m[i]*a.b1 + a.ob1*gi
		vi := v[i]*a.b2 + a.ob2*gi*gi
		m[i], v[i] = mi, vi
		if vmax != nil {
			vi = max(vmax[i], vi)
			vmax[i] = vi
		}
		denom := float32(math.Sqrt(float64(vi)))/a.bc2Sqrt + a.eps
		w[i] = wi + a.nStep*(mi/denom)
	}
}

// rmspropArgs are RMSprop's per-step scalars.
type rmspropArgs struct {
	a, oa, eps, wd, mom, nlr float32 // alpha, 1-alpha, eps, weight decay, momentum, -lr
}

// rmsprop updates sq (and ga, buf when non-nil) and w.
func rmsprop(w, g, sq, ga, buf []float32, r rmspropArgs) {
	g, sq = g[:len(w)], sq[:len(w)]
	if ga != nil {
		ga = ga[:len(w)]
	}
	if buf != nil {
		buf = buf[:len(w)]
	}
	for i, gi := range g {
		if r.wd != 0 {
			gi += r.wd * w[i]
		}
		s := sq[i]*r.a + r.oa*gi*gi
		sq[i] = s
		if ga != nil {
			gai := ga[i]*r.a + r.oa*gi
			ga[i] = gai
			s += -1 * gai * gai
		}
		avg := float32(math.Sqrt(float64(s))) + r.eps
		if buf != nil {
			b := buf[i]*r.mom + gi/avg
			buf[i] = b
			w[i] += r.nlr * b
		} else {
			w[i] += r.nlr * (gi / avg)
		}
	}
}
