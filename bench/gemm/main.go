// Command gemm times compute.Gemm on an n×n×n float32 product and prints
// the best and median GFLOP/s over several repetitions. bench/gemm/run.sh
// runs it alternately with numpy's OpenBLAS sgemm.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/graft-ml/graft/compute"
)

func main() {
	n := flag.Int("n", 2048, "matrix size (m = n = k)")
	reps := flag.Int("reps", 10, "timed repetitions")
	kernel := flag.String("kernel", "", "micro-kernel to force (default: the best available)")
	flag.Parse()
	if *kernel != "" {
		restore, err := compute.SetGemmKernel(*kernel)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gemm:", err)
			os.Exit(1)
		}
		defer restore()
	}
	s := *n
	rng := rand.New(rand.NewPCG(1, 1))
	a := make([]float32, s*s)
	b := make([]float32, s*s)
	c := make([]float32, s*s)
	for i := range a {
		a[i] = rng.Float32()
		b[i] = rng.Float32()
	}
	compute.Gemm(false, false, s, s, s, 1, a, s, b, s, 0, c, s) // warm-up
	rates := make([]float64, *reps)
	cpuRates := make([]float64, *reps)
	flop := 2 * float64(s) * float64(s) * float64(s)
	for r := range rates {
		t, cpu0 := time.Now(), cpuSeconds()
		compute.Gemm(false, false, s, s, s, 1, a, s, b, s, 0, c, s)
		rates[r] = flop / time.Since(t).Seconds() / 1e9
		cpuRates[r] = flop / (cpuSeconds() - cpu0) / 1e9 * float64(compute.Threads())
	}
	slices.Sort(rates)
	slices.Sort(cpuRates)
	fmt.Printf("graft kernel=%s threads=%d n=%d best=%.1f median=%.1f GFLOP/s cpunorm=%.1f\n",
		compute.GemmKernelName(), compute.Threads(), s, rates[len(rates)-1], rates[len(rates)/2], cpuRates[len(cpuRates)/2])
}

// cpuSeconds is the CPU time this process has used, user and system.
// GFLOP per CPU-second times the thread count estimates the rate on an
// otherwise idle machine, which the shared benchmark box rarely is.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
