package compute

// Serial vector loops that the parallel kernels are built from. Each takes
// its length from dst; the other slices must be at least as long.

// addTo computes dst[i] += src[i].
func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// mulAdd computes dst[i] += a[i]*b[i].
func mulAdd(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] += a[i] * b[i]
	}
}

// addBiasRows adds bias to every len(bias)-long row of y.
func addBiasRows(y, bias []float32) {
	c := len(bias)
	for off := 0; off+c <= len(y); off += c {
		addTo(y[off:off+c], bias)
	}
}
