package compute

import "golang.org/x/sys/cpu"

// CPUFeatures reports the instruction-set extensions the compute kernels can
// use on this machine, as detected at start-up (OS support included).
type CPUFeatures struct {
	AVX2    bool // AVX2 and FMA3 together
	AVX512F bool // AVX-512 Foundation
}

// DetectedCPU is what this process's CPU supports.
var DetectedCPU = CPUFeatures{
	AVX2:    cpu.X86.HasAVX2 && cpu.X86.HasFMA,
	AVX512F: cpu.X86.HasAVX512F,
}
