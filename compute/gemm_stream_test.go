package compute

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestGemmStreaming runs gemmSerialStreaming against the reference with
// every kernel, on C rows that are 64-byte aligned (so full tiles stream
// where the kernel can) and rows that are not, with partial tiles, and at
// depths of one block and of more (which must not stream).
func TestGemmStreaming(t *testing.T) {
	withKernels(t, func(t *testing.T, kern *gemmKernel) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, g := range []gemmCase{
			{m: 100, n: 70, k: 64, alpha: 1},
			{m: 28, n: 64, k: 512, alpha: 1},
			{m: 30, n: 96, k: 600, alpha: 1},
			{m: 45, n: 64, k: 33, alpha: 1, pad: 16},
			{m: 45, n: 64, k: 33, alpha: 1, pad: 3},
		} {
			checkGemm(t, rng, g, func(a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
				// C in an aligned buffer, its old contents NaN where the
				// product overwrites them.
				ac := alignedFloats(len(c))
				copy(ac, c)
				for i := 0; i < g.m; i++ {
					for j := 0; j < g.n; j++ {
						ac[i*ldc+j] = float32(math.NaN())
					}
				}
				gemmSerialStreaming(g.m, g.n, g.k, a, lda, b, ldb, ac, ldc)
				copy(c, ac)
			})
		}
	})
}

// TestGemmStreamKernelMatches checks that each kernel's stream variant
// writes the same tile, bit for bit, as the kernel with alpha 1, beta 0.
func TestGemmStreamKernelMatches(t *testing.T) {
	ran := 0
	for _, kern := range gemmKernels {
		if kern.stream == nil {
			continue
		}
		ran++
		rng := rand.New(rand.NewPCG(7, 8))
		for _, k := range []int{1, 3, 64, 65, 200} {
			a := randomSlice(rng, kern.mr*k)
			b := randomSlice(rng, k*kern.nr)
			const ldc = 48 // 64-byte aligned rows
			want, got := alignedFloats(kern.mr*ldc), alignedFloats(kern.mr*ldc)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			kern.fn(k, &a[0], 1, kern.mr, &b[0], kern.nr, &want[0], ldc, 1, 0)
			kern.stream(k, &a[0], 1, kern.mr, &b[0], kern.nr, &got[0], ldc, 1, 0, uintptr(unsafe.Pointer(&a[0])))
			gemmStoreFence()
			for i := 0; i < kern.mr; i++ {
				for j := 0; j < kern.nr; j++ {
					if math.Float32bits(got[i*ldc+j]) != math.Float32bits(want[i*ldc+j]) {
						t.Fatalf("%s k=%d: C[%d][%d] = %v, want %v", kern.name, k, i, j, got[i*ldc+j], want[i*ldc+j])
					}
				}
				for j := kern.nr; j < ldc; j++ {
					if !math.IsNaN(float64(got[i*ldc+j])) {
						t.Fatalf("%s k=%d: C[%d][%d] past the tile written", kern.name, k, i, j)
					}
				}
			}
		}
	}
	if ran == 0 {
		t.Skip("no kernel on this machine has a stream variant")
	}
}

// TestConvForwardPointwiseStreaming runs a pointwise forward with its
// output written by streaming stores (the size threshold lowered) against
// the reference, with bias (which does not stream) and without.
func TestConvForwardPointwiseStreaming(t *testing.T) {
	old := streamOutputFloats
	streamOutputFloats = 1
	defer func() { streamOutputFloats = old }()
	for _, p := range []ConvParams{
		convCase(2, 61, 53, 40, 96, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),
		convCase(1, 80, 80, 64, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),
	} {
		if pointwiseFewPixels(p.Batch * p.InH * p.InW) {
			t.Fatalf("%s runs as one Gemm, not in streamed chunks", convName(p))
		}
		rng := rand.New(rand.NewPCG(uint64(p.InC), uint64(p.OutC)))
		x := randomSlice(rng, p.Batch*p.InH*p.InW*p.InC)
		w := randomSlice(rng, p.InC*p.OutC)
		bias := randomSlice(rng, p.OutC)
		yn := p.Batch * p.OutH() * p.OutW() * p.OutC
		for _, b := range [][]float32{nil, bias} {
			want, got := make([]float32, yn), filled(yn, float32(math.NaN()))
			Conv2DReference(p, x, w, b, want)
			Conv2D(p, x, w, b, got)
			assertClose(t, convName(p), got, want)
		}
	}
}
