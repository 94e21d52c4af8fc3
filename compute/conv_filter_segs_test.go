package compute

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// filterSegCases are shapes for convBackwardFilterSegs (at least 14 input
// channels): channel counts that leave an overlapping last tile, output
// channels that leave a partial panel, strides, dilations, asymmetric
// padding, taps whose rows or columns are all padding for some output
// pixels or for all of them.
var filterSegCases = []ConvParams{
	convCase(2, 7, 7, 30, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),   // 7x7 map, overlapping tile, partial panel
	convCase(1, 9, 11, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),  // one tile per tap, one panel
	convCase(2, 11, 13, 16, 33, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1), // stride 2
	convCase(1, 12, 10, 20, 7, 3, 3, 1, 3, 2, 1, 0, 2, 2, 2, 1),  // dilation 2, horizontal stride 3
	convCase(2, 3, 9, 20, 8, 3, 3, 1, 1, 3, 3, 0, 2, 1, 1, 1),    // rows with no tap inside
	convCase(1, 5, 3, 16, 70, 3, 5, 1, 1, 1, 1, 4, 4, 1, 1, 1),   // columns with no tap inside
	convCase(3, 6, 6, 45, 64, 2, 2, 1, 1, 0, 1, 1, 0, 1, 1, 1),   // 2x2, one-sided padding
}

// filterSegKernels returns the segment kernels to test: the assembly one
// of the active micro-kernel, if any, and the pure-Go one.
func filterSegKernels() map[string]*filterSegKernel {
	ks := map[string]*filterSegKernel{"go": &filterSegsGeneric}
	if sk := filterSegKernelFor(activeGemm.Load()); sk != nil {
		ks["asm"] = sk
	}
	return ks
}

// TestConvBackwardFilterSegs runs convBackwardFilterSegs against the
// reference on filterSegCases with every segment kernel, adding to a
// gradient that is not zero.
func TestConvBackwardFilterSegs(t *testing.T) {
	old := filterSegChunkPixels
	defer func() { filterSegChunkPixels = old }()
	for name, sk := range filterSegKernels() {
		for _, chunk := range []int{1, 40, 1 << 20} {
			filterSegChunkPixels = chunk
			for _, p := range filterSegCases {
				t.Run(fmt.Sprintf("%s_chunk%d_%s", name, chunk, convName(p)), func(t *testing.T) {
					if err := p.Validate(); err != nil {
						t.Fatal(err)
					}
					rng := rand.New(rand.NewPCG(uint64(p.InC), uint64(p.OutC)))
					x := randomSlice(rng, p.Batch*p.InH*p.InW*p.InC)
					dy := randomSlice(rng, p.Batch*p.OutH()*p.OutW()*p.OutC)
					start := randomSlice(rng, p.KH*p.KW*p.InC*p.OutC)
					want, got := append([]float32(nil), start...), append([]float32(nil), start...)
					Conv2DBackwardFilterReference(p, x, dy, want, nil)
					convBackwardFilterSegs(sk, p, x, dy, got)
					assertClose(t, "dw", got, want)
				})
			}
		}
	}
}

// TestFilterSegInputRows checks the input rows a chunk of output rows
// reads against a direct enumeration of the taps inside the images.
func TestFilterSegInputRows(t *testing.T) {
	for _, p := range filterSegCases {
		oh := p.OutH()
		rows := p.Batch * oh
		for r0 := 0; r0 < rows; r0++ {
			for r1 := r0 + 1; r1 <= rows; r1++ {
				lo, hi := -1, -1
				for r := r0; r < r1; r++ {
					n, oy := r/oh, r%oh
					for ky := 0; ky < p.KH; ky++ {
						if iy := oy*p.StrideH - p.PadTop + ky*p.DilationH; iy >= 0 && iy < p.InH {
							if lo < 0 {
								lo = n*p.InH + iy
							}
							hi = n*p.InH + iy + 1
						}
					}
				}
				x0, x1 := p.filterSegInputRows(r0, r1)
				if lo >= 0 && (x0 > lo || x1 < hi) || x1 < x0 || x0 < 0 || x1 > p.Batch*p.InH {
					t.Fatalf("%s rows %d-%d: input rows %d-%d, need %d-%d", convName(p), r0, r1, x0, x1, lo, hi)
				}
			}
		}
	}
}

// TestFilterSegListsCoverPixels checks that the segment lists pair every
// output pixel with exactly the taps that read inside the input.
func TestFilterSegListsCoverPixels(t *testing.T) {
	for _, p := range filterSegCases {
		oh, ow := p.OutH(), p.OutW()
		lists := filterSegLists(p, 0, p.Batch*oh, 0, p.InC, p.OutC)
		for ky := 0; ky < p.KH; ky++ {
			for kx := 0; kx < p.KW; kx++ {
				want := map[[2]int]bool{} // (x offset, dy offset) of each pixel the tap reads inside
				for n := 0; n < p.Batch; n++ {
					for oy := 0; oy < oh; oy++ {
						for ox := 0; ox < ow; ox++ {
							iy := oy*p.StrideH - p.PadTop + ky*p.DilationH
							ix := ox*p.StrideW - p.PadLeft + kx*p.DilationW
							if iy >= 0 && iy < p.InH && ix >= 0 && ix < p.InW {
								want[[2]int{((n*p.InH+iy)*p.InW + ix) * p.InC, ((n*oh+oy)*ow + ox) * p.OutC}] = true
							}
						}
					}
				}
				l := lists[ky*p.KW+kx]
				got := 0
				for s := 0; s < l.n; s++ {
					for i := 0; i < l.length; i++ {
						key := [2]int{l.segs[2*s] + i*p.StrideW*p.InC, l.segs[2*s+1] + i*p.OutC}
						if !want[key] {
							t.Fatalf("%s tap %d,%d: segment %d pixel %d at %v reads padding or repeats", convName(p), ky, kx, s, i, key)
						}
						delete(want, key)
						got++
					}
				}
				if len(want) != 0 {
					t.Errorf("%s tap %d,%d: %d pixels inside the input left out (%d covered)", convName(p), ky, kx, len(want), got)
				}
			}
		}
	}
}

// TestConvBackwardFilterSegsChosen checks that ResNet-50's 3x3 layers of
// 256 and 512 channels take the segment path where the AVX-512 kernel
// runs, and that the others stay with the paths they had.
func TestConvBackwardFilterSegsChosen(t *testing.T) {
	kern := activeGemm.Load()
	sk := filterSegKernelFor(kern)
	if sk == nil {
		t.Skipf("no assembly segment kernel for %s", kern.name)
	}
	for _, s := range resnetConvShapes {
		p := s.p
		want := s.name == "3x3_512-512_7" || s.name == "3x3_256-256_14"
		if got := p.useFilterSegs(sk); got != want {
			t.Errorf("%s: segment path %v, want %v", s.name, got, want)
		}
	}
}

// TestConvBackwardFilterSegsRepeatable checks that the segment path gives
// the same gradient bit for bit on every run, in several chunks, through
// Conv2DBackwardFilter on a shape it is chosen for (when the AVX-512 kernel
// runs) and with the Go kernel on a small one.
func TestConvBackwardFilterSegsRepeatable(t *testing.T) {
	old := filterSegChunkPixels
	filterSegChunkPixels = 40 // several chunks, each adding to every tile
	defer func() { filterSegChunkPixels = old }()
	type run struct {
		p  ConvParams
		fn func(x, dy, dw []float32)
	}
	small := filterSegCases[0]
	runs := []run{{small, func(x, dy, dw []float32) { convBackwardFilterSegs(&filterSegsGeneric, small, x, dy, dw) }}}
	if sk := filterSegKernelFor(activeGemm.Load()); sk != nil && !testing.Short() {
		big := convCase(4, 7, 7, 512, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)
		if !big.useFilterSegs(sk) {
			t.Fatalf("%s does not take the segment path", convName(big))
		}
		runs = append(runs, run{big, func(x, dy, dw []float32) { Conv2DBackwardFilter(big, x, dy, dw, nil) }})
	}
	for _, r := range runs {
		p := r.p
		rng := rand.New(rand.NewPCG(3, 4))
		x := randomSlice(rng, p.Batch*p.InH*p.InW*p.InC)
		dy := randomSlice(rng, p.Batch*p.OutH()*p.OutW()*p.OutC)
		wn := p.KH * p.KW * p.InC * p.OutC
		first := make([]float32, wn)
		r.fn(x, dy, first)
		for i := 0; i < 10; i++ {
			got := make([]float32, wn)
			r.fn(x, dy, got)
			for j := range got {
				if math.Float32bits(got[j]) != math.Float32bits(first[j]) {
					t.Fatalf("%s run %d: dw[%d] = %v, first run gave %v", convName(p), i, j, got[j], first[j])
				}
			}
		}
	}
}
