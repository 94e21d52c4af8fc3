//go:build !amd64 || purego

package compute

// pairKernelFor returns nil: this build has no assembly.
func pairKernelFor(*gemmKernel) pairKernel { return nil }

// filterSegKernelFor returns nil: this build has no assembly.
func filterSegKernelFor(*gemmKernel) *filterSegKernel { return nil }
