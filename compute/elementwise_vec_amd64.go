//go:build amd64 && !purego

package compute

// vecAVX2 says whether the vector loops run their AVX2+FMA assembly.
var vecAVX2 = DetectedCPU.AVX2

// mulAddAVX2 computes dst[i] += a[i]*b[i] for i < n.
//
//go:noescape
func mulAddAVX2(dst, a, b *float32, n int)

// addToAVX2 computes dst[i] += src[i] for i < n.
//
//go:noescape
func addToAVX2(dst, src *float32, n int)
