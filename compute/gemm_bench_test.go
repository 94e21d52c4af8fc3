package compute

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
)

// processCPUSeconds is the user and system CPU time this process has used,
// or 0 where the platform cannot say.
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// benchGemm times Gemm on an m×n×k product (no transposes) with each
// available kernel and reports GFLOP/s.
func benchGemm(b *testing.B, m, n, k int, kernels []string) {
	benchGemmTrans(b, false, false, m, n, k, kernels)
}

// benchGemmTrans is benchGemm with A and B optionally stored transposed.
func benchGemmTrans(b *testing.B, transA, transB bool, m, n, k int, kernels []string) {
	rng := rand.New(rand.NewPCG(7, 8))
	a := make([]float32, m*k)
	bm := make([]float32, k*n)
	c := make([]float32, m*n)
	for i := range a {
		a[i] = rng.Float32()
	}
	for i := range bm {
		bm[i] = rng.Float32()
	}
	for _, name := range kernels {
		b.Run(name, func(b *testing.B) {
			restore, err := SetGemmKernel(name)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
			cpu0 := processCPUSeconds()
			for b.Loop() {
				lda, ldb := k, n
				if transA {
					lda = m
				}
				if transB {
					ldb = k
				}
				Gemm(transA, transB, m, n, k, 1, a, lda, bm, ldb, 0, c, n)
			}
			flop := 2 * float64(m) * float64(n) * float64(k) * float64(b.N)
			b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			// GFLOP per CPU-second: what one fully used core achieves, a
			// figure a shared, loaded machine distorts less than wall time.
			b.ReportMetric(flop/(processCPUSeconds()-cpu0)/1e9, "GFLOP/cpu-s")
		})
	}
}

// BenchmarkGemm2048 is the headline square product, 2048³.
func BenchmarkGemm2048(b *testing.B) { benchGemm(b, 2048, 2048, 2048, GemmKernelNames()[:1]) }

// BenchmarkGemmShapes covers shapes convolution layers produce: a 1×1
// convolution over a 56×56 batch of 32, one with MobileNet's odd channel
// counts, a 3×3 im2col, a 7×7 late layer, and tiny products.
func BenchmarkGemmShapes(b *testing.B) {
	for _, s := range [][3]int{{32 * 56 * 56, 64, 64}, {8 * 56 * 56, 24, 144}, {8 * 28 * 28, 128, 1152}, {49, 512, 4608}, {64, 64, 64}, {8, 8, 8}} {
		b.Run(fmt.Sprintf("%dx%dx%d", s[0], s[1], s[2]), func(b *testing.B) {
			benchGemm(b, s[0], s[1], s[2], GemmKernelNames()[:1])
		})
	}
}

// BenchmarkGemmWeightGrad is a convolution's weight gradient: im2col(x)ᵀ·dy,
// a transposed A with a long k.
func BenchmarkGemmWeightGrad(b *testing.B) {
	benchGemmTrans(b, true, false, 3*3*64, 64, 8*56*56, GemmKernelNames()[:1])
}

// BenchmarkGemmDenseBackward is a dense layer's input gradient, dy·Wᵀ for a
// batch of 32 through a 1280→1000 classifier: a transposed B and small m.
func BenchmarkGemmDenseBackward(b *testing.B) {
	benchGemmTrans(b, false, true, 32, 1280, 1000, GemmKernelNames()[:1])
}

// BenchmarkGemmKernels compares every kernel at 512³.
func BenchmarkGemmKernels(b *testing.B) { benchGemm(b, 512, 512, 512, GemmKernelNames()) }

// BenchmarkGemmMicroKernel times each micro-kernel alone on cache-resident
// packed panels (k = 256), the ceiling the blocked driver can approach.
func BenchmarkGemmMicroKernel(b *testing.B) {
	const k = 256
	for _, kern := range gemmKernels {
		b.Run(kern.name, func(b *testing.B) {
			a := alignedFloats(kern.mr * k)
			bp := alignedFloats(kern.nr * k)
			c := alignedFloats(kern.mr * kern.nr)
			for b.Loop() {
				kern.fn(k, &a[0], 1, kern.mr, &bp[0], kern.nr, &c[0], kern.nr, 1, 1)
			}
			b.ReportMetric(2*float64(kern.mr*kern.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
