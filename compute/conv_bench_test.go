package compute

import (
	"fmt"
	"math"
	"syscall"
	"testing"
	"time"
)

// resnetConvShapes are ResNet-50's convolutions at batch 32, the shapes
// bench/conv/run.sh also times in PyTorch.
var resnetConvShapes = []struct {
	name string
	p    ConvParams
}{
	{"3x3_64-64_56", convCase(32, 56, 56, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)},
	{"1x1_64-256_56", convCase(32, 56, 56, 64, 256, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1)},
	{"1x1_256-64_56", convCase(32, 56, 56, 256, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1)},
	{"3x3_128-128_28", convCase(32, 28, 28, 128, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)},
	{"3x3_256-256_14", convCase(32, 14, 14, 256, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)},
	{"3x3_512-512_7", convCase(32, 7, 7, 512, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)},
	{"1x1_512-2048_7", convCase(32, 7, 7, 512, 2048, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1)},
}

// BenchmarkConv times forward, backward-data and backward-filter at each
// ResNet-50 shape and reports GFLOP/s (2 flops per multiply-add).
func BenchmarkConv(b *testing.B) {
	for _, s := range resnetConvShapes {
		benchConvPasses(b, s.name, s.p)
	}
}

// BenchmarkConvOther times ResNet-50's stem (7x7 stride 2 on 3 channels,
// where im2col copies short runs), a strided 1x1 downsampling conv and a
// strided 3x3 (torchvision's ResNet-50 v1.5 strides its 3x3 convs).
func BenchmarkConvOther(b *testing.B) {
	benchConvPasses(b, "7x7s2_3-64_224", convCase(32, 224, 224, 3, 64, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1))
	benchConvPasses(b, "1x1s2_256-512_56", convCase(32, 56, 56, 256, 512, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1))
	benchConvPasses(b, "3x3s2_128-128_56", convCase(32, 56, 56, 128, 128, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1))
}

// BenchmarkConvDepthwise times MobileNet-style depthwise 3x3 convolutions.
func BenchmarkConvDepthwise(b *testing.B) {
	benchConvPasses(b, "dw3x3_144_56", convCase(32, 56, 56, 144, 144, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 144))
	benchConvPasses(b, "dw3x3_576_14", convCase(32, 14, 14, 576, 576, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 576))
}

func benchConvPasses(b *testing.B, name string, p ConvParams) {
	xn := p.Batch * p.InH * p.InW * p.InC
	yn := p.Batch * p.OutH() * p.OutW() * p.OutC
	wn := p.KH * p.KW * p.InC / p.Groups * p.OutC
	flops := 2 * float64(yn) * float64(p.KH*p.KW*p.InC/p.Groups)
	// Allocated by the first pass that -bench selects, not for every shape.
	var x, w, dy, y, dx, dw []float32
	alloc := func() {
		if x == nil {
			x, w, dy = patternSlice(xn), patternSlice(wn), patternSlice(yn)
			y, dx, dw = make([]float32, yn), make([]float32, xn), make([]float32, wn)
		}
	}
	for _, pass := range []struct {
		name string
		run  func()
	}{
		{"forward", func() { Conv2D(p, x, w, nil, y) }},
		{"backward-data", func() { Conv2DBackwardData(p, dy, w, dx) }},
		{"backward-filter", func() { Conv2DBackwardFilter(p, x, dy, dw, nil) }},
	} {
		b.Run(fmt.Sprintf("%s/%s", name, pass.name), func(b *testing.B) {
			alloc()
			pass.run() // warm the scratch pool
			best := time.Duration(math.MaxInt64)
			startCPU := processCPUTime()
			for b.Loop() {
				start := time.Now()
				pass.run()
				best = min(best, time.Since(start))
			}
			cpu := processCPUTime() - startCPU
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			// The fastest single run, which load from other processes
			// disturbs least; bench/conv/run.sh compares these.
			b.ReportMetric(float64(best.Nanoseconds())/1e6, "best-ms")
			// The mean CPU time (user + system, all threads) of a run:
			// what the pass costs in work, which waiting for a core on a
			// loaded machine does not inflate.
			b.ReportMetric(float64(cpu.Nanoseconds())/1e6/float64(b.N), "cpu-ms")
		})
	}
}

// patternSlice returns n values in [-1, 1) quickly: the timings do not
// depend on the values, and random ones would make set-up the slow part.
func patternSlice(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(i*7919&1023)/512 - 1
	}
	return s
}

// processCPUTime returns the user and system CPU time this process has used.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
