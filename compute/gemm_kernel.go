package compute

import (
	"fmt"
	"sync/atomic"
)

// gemmKernel is one register-blocked micro-kernel together with the cache
// blocking that suits it. fn computes a full mr×nr tile of C = alpha*A·B +
// beta*C over k steps, not reading C when beta == 0. Element (i, p) of the
// A panel is a[i*rsa+p*csa] (rsa = 1, csa = mr when packed; rsa = lda,
// csa = 1 for rows of a row-major A); row p of the B panel is the nr
// contiguous values at b[p*ldb] (ldb = nr when packed).
type gemmKernel struct {
	name   string
	mr, nr int
	mc, kc int // rows of A and depth per packed block (multiples of mr)
	nc     int // columns of B per packed block (multiple of nr)
	fn     func(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
	// edge, when set, computes a partial tile in place: like fn, but it
	// stores only the first rows rows of C and, in each, the columns whose
	// bit is set in mask (nr ≤ 32). Without it, partial tiles go through
	// a scratch tile and mergeTile.
	edge func(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, rows int, mask uint32)
	// stream, when set, is fn for beta = 0 and alpha = 1 writing C with
	// non-temporal stores, which do not read C's lines into the cache
	// first; C's rows must be 64-byte aligned. It also prefetches
	// gemmStreamPrefetchLines cache lines from address pf (any address:
	// prefetches do not fault). Callers finish with gemmStoreFence.
	stream func(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, pf uintptr)
	// free holds packing buffers between calls. It is a bounded free list
	// rather than a sync.Pool because the garbage collector empties pools,
	// and re-allocating megabyte buffers after every collection costs more
	// than small products do.
	free chan *gemmBuffers
}

// gemmKernels lists the kernels usable on this machine, best first. The
// pure-Go kernel is always last.
var gemmKernels = withFreeLists(append(asmGemmKernels(), genericGemmKernel))

// gemmFreeBuffers is how many sets of packing buffers each kernel keeps
// between calls: one per worker on a typical machine.
const gemmFreeBuffers = 8

// withFreeLists gives each kernel its buffer free list.
func withFreeLists(ks []*gemmKernel) []*gemmKernel {
	for _, k := range ks {
		if k.free == nil {
			k.free = make(chan *gemmBuffers, gemmFreeBuffers)
		}
	}
	return ks
}

// activeGemm is the kernel Gemm uses; tests may swap it with SetGemmKernel.
var activeGemm atomic.Pointer[gemmKernel]

func init() { activeGemm.Store(gemmKernels[0]) }

// GemmKernelName names the micro-kernel Gemm uses now, e.g. "avx512-14x32",
// "avx2-6x16" or "generic-4x4".
func GemmKernelName() string { return activeGemm.Load().name }

// GemmKernelNames lists the micro-kernels available on this machine, fastest
// first; any of them may be passed to SetGemmKernel.
func GemmKernelNames() []string {
	names := make([]string, len(gemmKernels))
	for i, k := range gemmKernels {
		names[i] = k.name
	}
	return names
}

// SetGemmKernel makes Gemm use the named micro-kernel (one of
// GemmKernelNames) and returns a function that restores the previous one.
// It is meant for tests and benchmarks; it must not race with running Gemm
// calls.
func SetGemmKernel(name string) (restore func(), err error) {
	for _, k := range gemmKernels {
		if k.name == name {
			prev := activeGemm.Swap(k)
			return func() { activeGemm.Store(prev) }, nil
		}
	}
	return nil, fmt.Errorf("compute: gemm kernel %q not available (have %v)", name, GemmKernelNames())
}
