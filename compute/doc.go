// Package compute holds Graft's CPU kernels: matrix multiply, convolution
// forward and backward, pooling, element-wise operations and reductions, all
// on float32 slices laid out NHWC. Work is split across a pool sized to
// GOMAXPROCS. Hot loops run in Go assembly where the CPU supports AVX2+FMA or
// AVX-512, chosen at start-up; a pure-Go fallback runs everywhere else and is
// what the tests compare the assembly against.
//
// Kernels take plain slices and validated parameter structs; they know
// nothing of layers, tensors' names or files.
package compute
