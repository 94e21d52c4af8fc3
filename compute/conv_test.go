package compute

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// convCase builds a ConvParams in the order the test table reads best.
func convCase(batch, h, w, inC, outC, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw, groups int) ConvParams {
	return ConvParams{Batch: batch, InH: h, InW: w, InC: inC, OutC: outC, KH: kh, KW: kw,
		StrideH: sh, StrideW: sw, PadTop: pt, PadBottom: pb, PadLeft: pl, PadRight: pr,
		DilationH: dh, DilationW: dw, Groups: groups}
}

// convCases covers kernel sizes, strides, paddings, dilations, groups and
// depthwise multipliers, with batch 1 and 3.
var convCases = []ConvParams{
	convCase(1, 7, 7, 8, 16, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),    // pointwise
	convCase(3, 17, 17, 12, 20, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2), // pointwise, 2 groups
	convCase(3, 17, 17, 12, 20, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1), // 1x1 stride 2
	convCase(1, 7, 7, 5, 6, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1),     // 1x1 padded
	convCase(1, 7, 7, 4, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),     // 3x3 same
	convCase(3, 17, 17, 64, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), // many tiles, two phases
	convCase(3, 17, 17, 6, 9, 3, 3, 2, 2, 0, 1, 0, 1, 1, 1, 1),   // TF same, stride 2
	convCase(3, 17, 17, 6, 9, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1),   // stride 3
	convCase(1, 17, 17, 4, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),   // dilation 2
	convCase(3, 17, 7, 4, 6, 3, 3, 2, 1, 2, 1, 0, 2, 2, 1, 1),    // mixed dilation and stride
	convCase(1, 17, 17, 3, 8, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1),   // 5x5
	convCase(3, 17, 17, 3, 8, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1),   // 7x7 stride 2 (stem)
	convCase(1, 17, 17, 8, 8, 1, 7, 1, 1, 0, 0, 3, 3, 1, 1, 1),   // 1x7
	convCase(1, 17, 17, 8, 8, 7, 1, 1, 1, 3, 3, 0, 0, 1, 1, 1),   // 7x1
	convCase(3, 1, 1, 7, 5, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),     // 1x1 image
	convCase(1, 1, 7, 3, 4, 1, 3, 1, 2, 0, 0, 1, 1, 1, 1, 1),     // one row
	convCase(3, 7, 17, 8, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2),   // 2 groups
	convCase(1, 7, 7, 8, 8, 3, 3, 2, 2, 1, 2, 0, 1, 1, 1, 4),     // 4 groups, asymmetric pad
	convCase(3, 17, 17, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8),   // depthwise
	convCase(1, 17, 17, 6, 12, 3, 3, 2, 2, 0, 1, 0, 1, 1, 1, 6),  // depthwise x2, stride 2
	convCase(3, 7, 7, 5, 10, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 5),    // depthwise x2, 5x5
	convCase(1, 17, 17, 7, 7, 3, 3, 3, 2, 2, 2, 1, 3, 2, 2, 7),   // depthwise dilated, stride 3
	convCase(3, 7, 7, 4, 4, 7, 7, 1, 1, 3, 3, 3, 3, 1, 1, 4),     // depthwise 7x7
	convCase(1, 7, 7, 1, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),     // one input channel
}

func randomSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

func filled(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// assertClose fails unless got matches want within a tolerance scaled by
// want's largest magnitude.
func assertClose(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 1.0
	for _, v := range want {
		scale = max(scale, math.Abs(float64(v)))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); !(d <= 2e-5*scale*10) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func convName(p ConvParams) string {
	return fmt.Sprintf("n%d_%dx%dx%d_to%d_k%dx%d_s%dx%d_p%d%d%d%d_d%dx%d_g%d", p.Batch, p.InH, p.InW, p.InC, p.OutC,
		p.KH, p.KW, p.StrideH, p.StrideW, p.PadTop, p.PadBottom, p.PadLeft, p.PadRight, p.DilationH, p.DilationW, p.Groups)
}

// checkConvAgainstReference runs all three passes of p both ways.
func checkConvAgainstReference(t *testing.T, p ConvParams) {
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(p.InC), uint64(p.KH*100+p.Groups)))
	xn := p.Batch * p.InH * p.InW * p.InC
	yn := p.Batch * p.OutH() * p.OutW() * p.OutC
	wn := p.KH * p.KW * p.InC / p.Groups * p.OutC
	x, w, bias, dy := randomSlice(rng, xn), randomSlice(rng, wn), randomSlice(rng, p.OutC), randomSlice(rng, yn)

	for _, b := range [][]float32{bias, nil} {
		want, got := make([]float32, yn), filled(yn, float32(math.NaN()))
		Conv2DReference(p, x, w, b, want)
		Conv2D(p, x, w, b, got)
		assertClose(t, "y", got, want)
	}

	wantDx, gotDx := make([]float32, xn), filled(xn, float32(math.NaN()))
	Conv2DBackwardDataReference(p, dy, w, wantDx)
	Conv2DBackwardData(p, dy, w, gotDx)
	assertClose(t, "dx", gotDx, wantDx)

	// The filter gradient adds to what dw and dbias hold already.
	start, startB := randomSlice(rng, wn), randomSlice(rng, p.OutC)
	wantDw, gotDw := append([]float32(nil), start...), append([]float32(nil), start...)
	wantDb, gotDb := append([]float32(nil), startB...), append([]float32(nil), startB...)
	Conv2DBackwardFilterReference(p, x, dy, wantDw, wantDb)
	Conv2DBackwardFilter(p, x, dy, gotDw, gotDb)
	assertClose(t, "dw", gotDw, wantDw)
	assertClose(t, "dbias", gotDb, wantDb)
	gotDw2 := append([]float32(nil), start...)
	Conv2DBackwardFilter(p, x, dy, gotDw2, nil)
	assertClose(t, "dw without bias", gotDw2, wantDw)
}

func TestConvMatchesReference(t *testing.T) {
	for _, p := range convCases {
		t.Run(convName(p), func(t *testing.T) { checkConvAgainstReference(t, p) })
	}
}

// TestConvSmallTiles reruns every case with tiny im2col tiles, so that
// shapes this small still split into many tiles and bands (and backward-data
// runs its two phases).
func TestConvSmallTiles(t *testing.T) {
	oldFloats, oldRows, oldDepth := colTileFloats, minTileRows, filterTileDepth
	colTileFloats, minTileRows, filterTileDepth = 64, 5, 4
	defer func() { colTileFloats, minTileRows, filterTileDepth = oldFloats, oldRows, oldDepth }()
	for _, p := range convCases {
		t.Run(convName(p), func(t *testing.T) { checkConvAgainstReference(t, p) })
	}
}

// TestConvWorkerCounts reruns a few cases with one and three workers, so
// that uneven splits and the single-worker path are both exercised.
func TestConvWorkerCounts(t *testing.T) {
	for _, procs := range []int{1, 3} {
		old := runtime.GOMAXPROCS(procs)
		for _, i := range []int{1, 5, 7, 18, 19} {
			p := convCases[i]
			t.Run(fmt.Sprintf("procs%d_%s", procs, convName(p)), func(t *testing.T) { checkConvAgainstReference(t, p) })
		}
		runtime.GOMAXPROCS(old)
	}
}

func TestSamePaddingMatchesTensorFlow(t *testing.T) {
	for _, c := range []struct{ in, k, s, d, before, after int }{
		{224, 7, 2, 1, 2, 3}, {112, 3, 2, 1, 0, 1}, {56, 3, 1, 1, 1, 1}, {17, 1, 1, 1, 0, 0},
		{7, 3, 1, 2, 2, 2}, {5, 7, 3, 1, 2, 3}, {4, 1, 2, 1, 0, 0},
	} {
		b, a := SamePadding(c.in, c.k, c.s, c.d)
		if b != c.before || a != c.after {
			t.Errorf("SamePadding(%d, %d, %d, %d) = %d, %d; want %d, %d", c.in, c.k, c.s, c.d, b, a, c.before, c.after)
		}
	}
}

func TestConvValidateRejects(t *testing.T) {
	good := convCase(1, 7, 7, 4, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	if err := good.Validate(); err != nil {
		t.Fatalf("valid params rejected: %v", err)
	}
	for name, mut := range map[string]func(*ConvParams){
		"zero batch":     func(p *ConvParams) { p.Batch = 0 },
		"zero kernel":    func(p *ConvParams) { p.KW = 0 },
		"zero stride":    func(p *ConvParams) { p.StrideH = 0 },
		"zero dilation":  func(p *ConvParams) { p.DilationW = 0 },
		"negative pad":   func(p *ConvParams) { p.PadLeft = -1 },
		"groups":         func(p *ConvParams) { p.Groups = 3 },
		"kernel too big": func(p *ConvParams) { p.KH, p.PadTop, p.PadBottom = 11, 0, 0 },
		"zero out chans": func(p *ConvParams) { p.OutC = 0 },
		"zero groups":    func(p *ConvParams) { p.Groups = 0 },
	} {
		p := good
		mut(&p)
		if p.Validate() == nil {
			t.Errorf("%s: Validate accepted %+v", name, p)
		}
	}
}
