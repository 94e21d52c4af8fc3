package compute

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// gemmCase is one product to check.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int // extra elements per row beyond the minimum stride
}

func (g gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,alpha=%g,beta=%g,pad=%d", g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.beta, g.pad)
}

// randomGemmOperands builds random A, B and C for g with their strides.
func randomGemmOperands(rng *rand.Rand, g gemmCase) (a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := g.m, g.k
	if g.transA {
		ar, ac = ac, ar
	}
	br, bc := g.k, g.n
	if g.transB {
		br, bc = bc, br
	}
	lda, ldb, ldc = ac+g.pad, bc+g.pad, g.n+g.pad
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rng.Float32()*2 - 1
		}
		return s
	}
	return fill(ar * lda), lda, fill(br * ldb), ldb, fill(g.m * ldc), ldc
}

// checkGemm runs run on g's operands and compares every element of C with
// GemmReference, within a bound for float32 accumulation of k products.
// Padding columns of C must stay untouched.
func checkGemm(t *testing.T, rng *rand.Rand, g gemmCase, run func(a []float32, lda int, b []float32, ldb int, c []float32, ldc int)) {
	t.Helper()
	a, lda, b, ldb, c, ldc := randomGemmOperands(rng, g)
	want := append([]float32(nil), c...)
	GemmReference(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, want, ldc)
	orig := append([]float32(nil), c...)
	run(a, lda, b, ldb, c, ldc)
	const eps = 6e-8
	for i := 0; i < g.m; i++ {
		for j := 0; j < ldc; j++ {
			got, w := c[i*ldc+j], want[i*ldc+j]
			if j >= g.n {
				if got != orig[i*ldc+j] {
					t.Fatalf("%v: padding C[%d][%d] changed from %g to %g", g, i, j, orig[i*ldc+j], got)
				}
				continue
			}
			// Bound: each of the k products and the beta term may carry
			// a rounding error of a few eps relative to its magnitude.
			var mag float64
			for p := 0; p < g.k; p++ {
				var av, bv float32
				if g.transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if g.transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				mag += math.Abs(float64(av) * float64(bv))
			}
			mag = mag*math.Abs(float64(g.alpha)) + math.Abs(float64(g.beta*orig[i*ldc+j]))
			tol := 2*float64(g.k+2)*eps*mag + 1e-30
			if d := math.Abs(float64(got) - float64(w)); !(d <= tol) {
				t.Fatalf("%v: C[%d][%d] = %g, want %g (|diff| %g > tol %g)", g, i, j, got, w, d, tol)
			}
		}
	}
}

// withKernels runs fn once per available micro-kernel, made active.
func withKernels(t *testing.T, fn func(t *testing.T, kern *gemmKernel)) {
	for _, name := range GemmKernelNames() {
		t.Run(name, func(t *testing.T) {
			restore, err := SetGemmKernel(name)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			if GemmKernelName() != name {
				t.Fatalf("GemmKernelName() = %q after SetGemmKernel(%q)", GemmKernelName(), name)
			}
			fn(t, activeGemm.Load())
		})
	}
}

var gemmEdgeSizes = []int{1, 2, 7, 15, 16, 17, 31, 33, 63, 64, 65, 127, 255}

// TestGemmKernelsEdgeSizes drives each micro-kernel through the serial and
// the shared-B parallel drivers with small blocks, so every size crosses several mc, kc and nc
// block boundaries and partial tiles on every side.
func TestGemmKernelsEdgeSizes(t *testing.T) {
	withKernels(t, func(t *testing.T, kern *gemmKernel) {
		small := &gemmKernel{name: kern.name, mr: kern.mr, nr: kern.nr, mc: 2 * kern.mr, kc: 24, nc: 2 * kern.nr, fn: kern.fn, edge: kern.edge, free: make(chan *gemmBuffers, 1)}
		rng := rand.New(rand.NewPCG(1, 2))
		for iter := 0; iter < 200; iter++ {
			g := gemmCase{
				transA: rng.IntN(2) == 1, transB: rng.IntN(2) == 1,
				m:     gemmEdgeSizes[rng.IntN(len(gemmEdgeSizes))],
				n:     gemmEdgeSizes[rng.IntN(len(gemmEdgeSizes))],
				k:     gemmEdgeSizes[rng.IntN(len(gemmEdgeSizes))],
				alpha: []float32{1, -0.5, 2}[rng.IntN(3)],
				beta:  []float32{0, 1, 0.25}[rng.IntN(3)],
				pad:   []int{0, 3}[rng.IntN(2)],
			}
			shared := iter%2 == 1
			checkGemm(t, rng, g, func(a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
				if shared {
					gemmShared(small, 3, g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, c, ldc)
					return
				}
				gemmBlocked(small, g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, c, ldc)
			})
		}
	})
}

// TestGemmAllTransposes checks Gemm itself, with its real blocking and
// parallel split, on every transpose combination and alpha/beta mix.
func TestGemmAllTransposes(t *testing.T) {
	shapes := [][3]int{{1, 1, 1}, {3, 5, 7}, {16, 16, 16}, {17, 33, 65}, {255, 31, 9}, {64, 300, 2}, {2, 257, 300}, {130, 129, 270}, {400, 64, 64}, {20, 40, 512}, {70, 20, 1024}}
	withKernels(t, func(t *testing.T, _ *gemmKernel) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, s := range shapes {
			for tr := 0; tr < 4; tr++ {
				for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-1.5, 0.5}} {
					g := gemmCase{transA: tr&1 == 1, transB: tr&2 == 2, m: s[0], n: s[1], k: s[2], alpha: ab[0], beta: ab[1], pad: tr}
					checkGemm(t, rng, g, func(a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
						Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, c, ldc)
					})
				}
			}
		}
	})
}

// TestGemmAsmMatchesGeneric compares each assembly kernel's raw tile with
// the pure-Go kernel's on the same packed panels, for beta zero and not.
func TestGemmAsmMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, kern := range gemmKernels {
		for _, k := range []int{1, 3, 4, 5, 64, 257} {
			for _, beta := range []float32{0, 0.5} {
				a := make([]float32, kern.mr*k)
				b := make([]float32, kern.nr*k)
				for i := range a {
					a[i] = rng.Float32() - 0.5
				}
				for i := range b {
					b[i] = rng.Float32() - 0.5
				}
				ldc := kern.nr + 5
				c := make([]float32, kern.mr*ldc)
				for i := range c {
					c[i] = rng.Float32()
				}
				got := append([]float32(nil), c...)
				kern.fn(k, &a[0], 1, kern.mr, &b[0], kern.nr, &got[0], ldc, 1.5, beta)
				for i := 0; i < kern.mr; i++ {
					for j := 0; j < ldc; j++ {
						var want float64
						if j >= kern.nr {
							want = float64(c[i*ldc+j])
						} else {
							for p := 0; p < k; p++ {
								want += float64(a[p*kern.mr+i]) * float64(b[p*kern.nr+j])
							}
							want = 1.5*want + float64(beta)*float64(c[i*ldc+j])
						}
						if d := math.Abs(float64(got[i*ldc+j]) - want); d > 1e-6*float64(k+2) {
							t.Fatalf("%s k=%d beta=%g: C[%d][%d] = %g, want %g", kern.name, k, beta, i, j, got[i*ldc+j], want)
						}
					}
				}
			}
		}
	}
}

// TestGemmBetaZeroIgnoresNaN checks that beta == 0 overwrites NaN and Inf
// in C rather than propagating them, on every path.
func TestGemmBetaZeroIgnoresNaN(t *testing.T) {
	withKernels(t, func(t *testing.T, _ *gemmKernel) {
		for _, s := range [][3]int{{3, 3, 3}, {50, 70, 90}, {0, 0, 0}} {
			m, n, k := s[0], s[1], s[2]
			if m == 0 {
				m, n, k = 20, 20, 0 // k == 0: C = beta*C only
			}
			a := make([]float32, m*max(k, 1))
			b := make([]float32, max(k, 1)*n)
			for i := range a {
				a[i] = 1
			}
			for i := range b {
				b[i] = 2
			}
			c := make([]float32, m*n)
			for i := range c {
				c[i] = float32(math.NaN())
				if i%2 == 1 {
					c[i] = float32(math.Inf(-1))
				}
			}
			Gemm(false, false, m, n, k, 1, a, max(k, 1), b, n, 0, c, n)
			for i, v := range c {
				if v != float32(2*k) {
					t.Fatalf("m=%d n=%d k=%d: C[%d] = %g, want %d", m, n, k, i, v, 2*k)
				}
			}
		}
	})
}

// TestGemmPanicsOnShortOperand checks that a slice too short for its shape
// is reported, naming the operand, before any kernel touches memory.
func TestGemmPanicsOnShortOperand(t *testing.T) {
	a := make([]float32, 40*40)
	for _, tc := range []struct {
		name    string
		a, b, c []float32
		ldb     int
	}{
		{"A", a[:100], a, a, 40},
		{"B", a, a[:1599], a, 40},
		{"C", a, a, a[:1000], 40},
		{"B", a, a, a, 30}, // stride shorter than a row
	} {
		func() {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.Contains(msg, "compute.Gemm: "+tc.name+" ") {
					t.Errorf("short %s: recovered %v, want a panic naming %s", tc.name, r, tc.name)
				}
			}()
			Gemm(false, false, 40, 40, 40, 1, tc.a, 40, tc.b, tc.ldb, 0, tc.c, 40)
		}()
	}
}

// TestSetGemmKernelUnknown checks that an unknown kernel name is an error
// and leaves the active kernel alone.
func TestSetGemmKernelUnknown(t *testing.T) {
	before := GemmKernelName()
	if _, err := SetGemmKernel("no-such-kernel"); err == nil {
		t.Fatal("SetGemmKernel(no-such-kernel) returned no error")
	}
	if GemmKernelName() != before {
		t.Fatalf("kernel changed to %q", GemmKernelName())
	}
	if names := GemmKernelNames(); names[len(names)-1] != "generic-4x4" {
		t.Fatalf("GemmKernelNames() = %v, want generic-4x4 last", names)
	}
}

// TestGemmPackRowsInterleaved checks the (assembly-backed) row packer
// against the definition for every row count up to 33 and k counts on and
// off the packers' unroll, and that it writes nothing else.
func TestGemmPackRowsInterleaved(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for rows := 1; rows <= 33; rows++ {
		for _, kc := range []int{1, 3, 4, 5, 17} {
			ld, ldd := kc+3, rows+2
			src := make([]float32, rows*ld)
			for i := range src {
				src[i] = rng.Float32()
			}
			dst := make([]float32, kc*ldd)
			for i := range dst {
				dst[i] = -1
			}
			packRowsInterleaved(rows, kc, src, ld, dst, ldd)
			for p := 0; p < kc; p++ {
				for i := 0; i < ldd; i++ {
					want := float32(-1)
					if i < rows {
						want = src[i*ld+p]
					}
					if got := dst[p*ldd+i]; got != want {
						t.Fatalf("rows=%d kc=%d: dst[%d][%d] = %g, want %g", rows, kc, p, i, got, want)
					}
				}
			}
		}
	}
}

// TestGemmEdgeKernelStoresOnlyTile checks that an edge kernel writes
// exactly the requested rows and columns, with the right values, and leaves
// every other element of C alone.
func TestGemmEdgeKernelStoresOnlyTile(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, kern := range gemmKernels {
		if kern.edge == nil {
			continue
		}
		const k = 9
		a := make([]float32, kern.mr*k)
		b := make([]float32, kern.nr*k)
		for i := range a {
			a[i] = rng.Float32()
		}
		for i := range b {
			b[i] = rng.Float32()
		}
		ldc := kern.nr + 3
		for _, rc := range [][2]int{{1, 1}, {kern.mr, 1}, {1, kern.nr}, {kern.mr - 1, kern.nr - 1}, {5, 17}, {3, 9}, {kern.mr, kern.nr}} {
			for _, beta := range []float32{0, 2} {
				rows, cols := min(rc[0], kern.mr), min(rc[1], kern.nr)
				c := make([]float32, (kern.mr+1)*ldc)
				for i := range c {
					c[i] = float32(i)
				}
				orig := append([]float32(nil), c...)
				kern.edge(k, &a[0], 1, kern.mr, &b[0], kern.nr, &c[0], ldc, 0.5, beta, rows, uint32(1)<<cols-1)
				for i := 0; i <= kern.mr; i++ {
					for j := 0; j < ldc; j++ {
						got := c[i*ldc+j]
						if i >= rows || j >= cols {
							if got != orig[i*ldc+j] {
								t.Fatalf("%s rows=%d cols=%d: C[%d][%d] changed to %g", kern.name, rows, cols, i, j, got)
							}
							continue
						}
						var want float64
						for p := 0; p < k; p++ {
							want += float64(a[p*kern.mr+i]) * float64(b[p*kern.nr+j])
						}
						want = 0.5*want + float64(beta)*float64(orig[i*ldc+j])
						if math.Abs(float64(got)-want) > 1e-5*math.Abs(want)+1e-6 {
							t.Fatalf("%s rows=%d cols=%d beta=%g: C[%d][%d] = %g, want %g", kern.name, rows, cols, beta, i, j, got, want)
						}
					}
				}
			}
		}
	}
}
