package compute

// Element-wise kernels on float32 slices. Each takes its length from dst
// (or y); the other slices must be at least as long. Large slices are split
// across Threads() workers.

// elementwiseGrain is the fewest elements one worker takes: below about
// twice this, a kernel runs on the calling goroutine.
const elementwiseGrain = 1 << 15

// Add computes dst[i] = a[i] + b[i]; dst may alias a or b.
func Add(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	ParallelFor(len(dst), elementwiseGrain, func(s, e int) {
		d, x, y := dst[s:e], a[s:e], b[s:e]
		for i := range d {
			d[i] = x[i] + y[i]
		}
	})
}

// Sub computes dst[i] = a[i] - b[i]; dst may alias a or b.
func Sub(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	ParallelFor(len(dst), elementwiseGrain, func(s, e int) {
		d, x, y := dst[s:e], a[s:e], b[s:e]
		for i := range d {
			d[i] = x[i] - y[i]
		}
	})
}

// Mul computes dst[i] = a[i] * b[i]; dst may alias a or b.
func Mul(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	ParallelFor(len(dst), elementwiseGrain, func(s, e int) {
		d, x, y := dst[s:e], a[s:e], b[s:e]
		for i := range d {
			d[i] = x[i] * y[i]
		}
	})
}

// Scale computes dst[i] = s * a[i]; dst may alias a.
func Scale(dst []float32, s float32, a []float32) {
	a = a[:len(dst)]
	ParallelFor(len(dst), elementwiseGrain, func(lo, hi int) {
		d, x := dst[lo:hi], a[lo:hi]
		for i := range d {
			d[i] = s * x[i]
		}
	})
}

// Axpy computes y[i] += alpha * x[i].
func Axpy(alpha float32, x, y []float32) {
	x = x[:len(y)]
	ParallelFor(len(y), elementwiseGrain, func(s, e int) {
		d, v := y[s:e], x[s:e]
		for i := range d {
			d[i] += alpha * v[i]
		}
	})
}

// AddBias adds bias[c] to every element of x whose last-axis (channel)
// index is c; len(x) must be a multiple of len(bias).
func AddBias(x, bias []float32) {
	c := len(bias)
	if c == 0 {
		return
	}
	rows := len(x) / c
	ParallelFor(rows, max(elementwiseGrain/c, 1), func(s, e int) {
		addBiasRows(x[s*c:e*c], bias)
	})
}

// addToParallel computes dst[i] += src[i] across workers.
func addToParallel(dst, src []float32) {
	src = src[:len(dst)]
	ParallelFor(len(dst), elementwiseGrain, func(s, e int) {
		addTo(dst[s:e], src[s:e])
	})
}
