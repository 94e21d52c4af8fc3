//go:build !amd64 || purego

package compute

// asmGemmKernels returns no kernels: this build has no assembly.
func asmGemmKernels() []*gemmKernel { return nil }

// rowPackers is empty: packing runs in Go.
var rowPackers []rowPacker

// gemmStoreFence does nothing: no kernel of this build streams its stores.
func gemmStoreFence() {}
