package compute

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// directCases are shapes convForwardDirect can run: odd widths that leave
// partial tiles, output channels that leave partial panels, vertical
// stride and dilation, padding wider than the kernel's reach, kernels
// taller than the padded input is for some rows.
var directCases = []ConvParams{
	convCase(2, 9, 28, 5, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),   // 3x3 same, partial panel
	convCase(1, 6, 31, 16, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),  // partial tiles
	convCase(2, 11, 16, 3, 8, 5, 5, 2, 1, 2, 2, 2, 2, 1, 1, 1),   // vertical stride 2
	convCase(1, 12, 20, 4, 7, 3, 3, 1, 1, 2, 2, 1, 1, 2, 1, 1),   // vertical dilation 2
	convCase(1, 5, 15, 2, 3, 1, 3, 1, 1, 0, 0, 1, 1, 1, 1, 1),    // 1x3
	convCase(1, 15, 15, 6, 5, 7, 1, 1, 1, 3, 3, 0, 0, 1, 1, 1),   // 7x1
	convCase(3, 3, 14, 4, 40, 3, 3, 1, 1, 3, 3, 0, 2, 1, 1, 1),   // rows with no tap inside
	convCase(1, 1, 14, 3, 4, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1),    // 1x1 padded
	convCase(2, 7, 7, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),    // 7x7 map
	convCase(2, 15, 29, 12, 40, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1), // 3x3 stride 2, partial tile
	convCase(1, 9, 30, 16, 32, 3, 3, 2, 2, 0, 1, 0, 1, 1, 1, 1),  // TF same, stride 2
	convCase(2, 8, 28, 40, 24, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1),  // 1x1 stride 2
	convCase(1, 10, 44, 8, 16, 3, 3, 1, 3, 1, 1, 1, 1, 1, 1, 1),  // horizontal stride 3
	convCase(3, 7, 7, 8, 40, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1),    // 7-wide rows in pairs, 5x5
	convCase(1, 9, 7, 4, 33, 3, 3, 1, 1, 0, 0, 1, 1, 2, 1, 1),    // pairs, dilation, odd one out
	convCase(2, 7, 13, 4, 40, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1),   // pairs, horizontal stride 2
}

// TestConvForwardDirect runs convForwardDirect against the reference with
// every micro-kernel and with bands of one output row and of many.
func TestConvForwardDirect(t *testing.T) {
	oldBand := directBandFloats
	defer func() { directBandFloats = oldBand }()
	for _, name := range GemmKernelNames() {
		restore, err := SetGemmKernel(name)
		if err != nil {
			t.Fatal(err)
		}
		kern := activeGemm.Load()
		modes := map[bool]int{}
		for _, p := range directCases {
			modes[p.directGeometry(kern.mr).grid]++
		}
		if modes[true] == 0 || modes[false] == 0 {
			t.Errorf("%s: directCases run %d in grid mode and %d in row mode; want both", name, modes[true], modes[false])
		}
		pairs := 0
		for _, p := range directCases {
			if p.directWhole(p.directGeometry(kern.mr)) && 2*p.OutW() == kern.mr && pairKernelFor(kern) != nil {
				pairs++
			}
		}
		if pairs < 3 && pairKernelFor(kern) != nil {
			t.Errorf("%s: only %d directCases run in pairs", name, pairs)
		}
		for _, band := range []int{1, 1 << 16} {
			directBandFloats = band
			for _, p := range directCases {
				t.Run(fmt.Sprintf("%s_band%d_%s", name, band, convName(p)), func(t *testing.T) {
					if err := p.Validate(); err != nil {
						t.Fatal(err)
					}
					rng := rand.New(rand.NewPCG(uint64(p.InC), uint64(p.OutC)))
					x := randomSlice(rng, p.Batch*p.InH*p.InW*p.InC)
					w := randomSlice(rng, p.KH*p.KW*p.InC*p.OutC)
					bias := randomSlice(rng, p.OutC)
					yn := p.Batch * p.OutH() * p.OutW() * p.OutC
					for _, b := range [][]float32{bias, nil} {
						want, got := make([]float32, yn), filled(yn, float32(math.NaN()))
						Conv2DReference(p, x, w, b, want)
						convForwardDirect(kern, p, x, w, b, got)
						assertClose(t, "y", got, want)
					}
				})
			}
		}
		restore()
	}
}

func TestKernelRowsInside(t *testing.T) {
	p := convCase(1, 5, 5, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 2, 1, 1)
	for _, c := range []struct{ iy, ky0, ky1 int }{
		{-1, 1, 3}, {-2, 1, 3}, {-3, 2, 3}, {-5, 3, 3}, {0, 0, 3}, {1, 0, 2}, {4, 0, 1}, {5, 0, 0}, {-4, 2, 3},
	} {
		ky0, ky1 := p.kernelRowsInside(c.iy)
		if ky0 != c.ky0 || ky1 != c.ky1 {
			t.Errorf("kernelRowsInside(%d) = %d, %d; want %d, %d", c.iy, ky0, ky1, c.ky0, c.ky1)
		}
	}
}

// TestConvBackwardFilterDirect runs convBackwardFilterDirect against the
// reference on the directCases it accepts (stride 1), with every
// micro-kernel and with bands of one output row and of many.
func TestConvBackwardFilterDirect(t *testing.T) {
	oldBand := directBandFloats
	defer func() { directBandFloats = oldBand }()
	for _, name := range GemmKernelNames() {
		restore, err := SetGemmKernel(name)
		if err != nil {
			t.Fatal(err)
		}
		kern := activeGemm.Load()
		for _, band := range []int{1, 1 << 16} {
			directBandFloats = band
			for _, p := range directCases {
				if p.StrideH != 1 || p.StrideW != 1 {
					continue
				}
				t.Run(fmt.Sprintf("%s_band%d_%s", name, band, convName(p)), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(p.InC), uint64(p.OutC)))
					x := randomSlice(rng, p.Batch*p.InH*p.InW*p.InC)
					dy := randomSlice(rng, p.Batch*p.OutH()*p.OutW()*p.OutC)
					wn := p.KH * p.KW * p.InC * p.OutC
					start := randomSlice(rng, wn)
					want, got := append([]float32(nil), start...), append([]float32(nil), start...)
					Conv2DBackwardFilterReference(p, x, dy, want, nil)
					convBackwardFilterDirect(kern, p, x, dy, got)
					assertClose(t, "dw", got, want)
				})
			}
		}
		restore()
	}
}

// TestConvBackwardDataDirect runs the stride-1 input gradient through
// packDirectKernelFlipped and convForwardDirectPacked, as
// convBackwardDataGemm does, against the reference, with every
// micro-kernel.
func TestConvBackwardDataDirect(t *testing.T) {
	for _, name := range GemmKernelNames() {
		restore, err := SetGemmKernel(name)
		if err != nil {
			t.Fatal(err)
		}
		kern := activeGemm.Load()
		ran := 0
		for _, p := range directCases {
			q, ok := backwardDataAsForward(p)
			if !ok {
				continue
			}
			ran++
			t.Run(fmt.Sprintf("%s_%s", name, convName(p)), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(p.InC), uint64(p.OutC)))
				w := randomSlice(rng, p.KH*p.KW*p.InC*p.OutC)
				dy := randomSlice(rng, p.Batch*p.OutH()*p.OutW()*p.OutC)
				xn := p.Batch * p.InH * p.InW * p.InC
				want, got := make([]float32, xn), filled(xn, float32(math.NaN()))
				Conv2DBackwardDataReference(p, dy, w, want)
				nr := kern.nr
				wp := make([]float32, p.KH*(p.InC+nr-1)/nr*nr*p.KW*p.OutC)
				packDirectKernelFlipped(p, nr, w, wp)
				convForwardDirectPacked(kern, q, dy, wp, nil, got)
				assertClose(t, "dx", got, want)
			})
		}
		if ran < 5 {
			t.Errorf("%s: only %d direct cases have a stride-1 backward-data form", name, ran)
		}
		restore()
	}
}

// TestConvBackwardFilterDirectRepeatable checks that the kernel gradient
// comes out bit for bit the same on every run, whichever worker takes
// which share of the bands.
func TestConvBackwardFilterDirectRepeatable(t *testing.T) {
	oldBand := directBandFloats
	directBandFloats = 1 // one output row per band: many bands per share
	defer func() { directBandFloats = oldBand }()
	p := directCases[0]
	kern := activeGemm.Load()
	rng := rand.New(rand.NewPCG(1, 2))
	x := randomSlice(rng, p.Batch*p.InH*p.InW*p.InC)
	dy := randomSlice(rng, p.Batch*p.OutH()*p.OutW()*p.OutC)
	wn := p.KH * p.KW * p.InC * p.OutC
	first := make([]float32, wn)
	convBackwardFilterDirect(kern, p, x, dy, first)
	for run := 0; run < 20; run++ {
		got := make([]float32, wn)
		convBackwardFilterDirect(kern, p, x, dy, got)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
				t.Fatalf("run %d: dw[%d] = %v, first run gave %v", run, i, got[i], first[i])
			}
		}
	}
}

// TestConvBackwardFilterPointwise runs convBackwardFilterPointwise against
// the reference with every micro-kernel, with chunks of 16 pixels and of
// all of them, on shapes with full and partial tiles in both directions.
func TestConvBackwardFilterPointwise(t *testing.T) {
	oldChunk := pointwiseFilterChunkFloats
	defer func() { pointwiseFilterChunkFloats = oldChunk }()
	cases := []ConvParams{
		convCase(2, 9, 11, 30, 70, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),
		convCase(1, 5, 7, 28, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),
		convCase(3, 1, 1, 5, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),
	}
	for _, name := range GemmKernelNames() {
		restore, err := SetGemmKernel(name)
		if err != nil {
			t.Fatal(err)
		}
		kern := activeGemm.Load()
		for _, chunk := range []int{1, 1 << 17} {
			pointwiseFilterChunkFloats = chunk
			for _, p := range cases {
				t.Run(fmt.Sprintf("%s_chunk%d_%s", name, chunk, convName(p)), func(t *testing.T) {
					if !p.useDirectFilterPointwise() {
						t.Fatalf("%s does not take the pointwise path", convName(p))
					}
					rng := rand.New(rand.NewPCG(uint64(p.InC), uint64(p.OutC)))
					x := randomSlice(rng, p.Batch*p.InH*p.InW*p.InC)
					dy := randomSlice(rng, p.Batch*p.OutH()*p.OutW()*p.OutC)
					start := randomSlice(rng, p.InC*p.OutC)
					want, got := append([]float32(nil), start...), append([]float32(nil), start...)
					Conv2DBackwardFilterReference(p, x, dy, want, nil)
					convBackwardFilterPointwise(kern, p, x, dy, got)
					assertClose(t, "dw", got, want)
				})
			}
		}
		restore()
	}
}

// TestScratchListBounds checks that the scratch free list hands back a
// buffer large enough, reuses returned ones, and keeps within its bounds.
func TestScratchListBounds(t *testing.T) {
	const size = 777_777 // a size no kernel asks for, so no other buffer fits as tightly
	b := getScratch(size)
	if len(*b) != size {
		t.Fatalf("getScratch(%d) has %d floats", size, len(*b))
	}
	putScratch(b)
	if c := getScratch(size); c != b {
		t.Errorf("getScratch(%d) after returning a buffer of that size allocated a new one", size)
	} else {
		putScratch(c)
	}
	for i := 0; i < 2*scratchKeep; i++ {
		putScratch(&[]float32{float32(i)})
	}
	scratchFree.Lock()
	n, floats := len(scratchFree.bufs), scratchFree.floats
	total := 0
	for _, f := range scratchFree.bufs {
		total += cap(*f)
	}
	scratchFree.Unlock()
	if n > scratchKeep || floats != total || floats > scratchKeepFloats {
		t.Errorf("free list holds %d buffers, %d floats (counted %d); bounds %d, %d", n, floats, total, scratchKeep, scratchKeepFloats)
	}
}
