package compute

// Serial vector loops that the parallel kernels are built from. Each takes
// its length from dst; the other slices must be at least as long. On amd64
// with AVX2 and FMA they run in assembly; the Go loops are the fallback and
// what the tests check the assembly against.

// vecAsmMin is the shortest vector worth the assembly call.
const vecAsmMin = 8

// addTo computes dst[i] += src[i].
func addTo(dst, src []float32) {
	src = src[:len(dst)]
	if vecAVX2 && len(dst) >= vecAsmMin {
		addToAVX2(&dst[0], &src[0], len(dst))
		return
	}
	addToGo(dst, src)
}

func addToGo(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// mulAdd computes dst[i] += a[i]*b[i].
func mulAdd(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if vecAVX2 && len(dst) >= vecAsmMin {
		mulAddAVX2(&dst[0], &a[0], &b[0], len(dst))
		return
	}
	mulAddGo(dst, a, b)
}

func mulAddGo(dst, a, b []float32) {
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
