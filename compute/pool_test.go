package compute

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naivePool is the straightforward loop over every output value and window
// tap that the pooling kernels are checked against. It returns y, the
// argmax offsets (max only) and dx for the given dy.
func naivePool(p PoolParams, isMax bool, x, dy []float32) (y []float32, argmax []int32, dx []float32) {
	oh, ow, c := p.OutH(), p.OutW(), p.C
	img := p.InH * p.InW * c
	y, argmax, dx = make([]float32, p.Batch*oh*ow*c), make([]int32, p.Batch*oh*ow*c), make([]float32, len(x))
	for n := 0; n < p.Batch; n++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for ch := 0; ch < c; ch++ {
					o := ((n*oh+oy)*ow+ox)*c + ch
					best, at, sum, count := float32(math.Inf(-1)), -1, 0.0, 0
					for ky := 0; ky < p.KH; ky++ {
						for kx := 0; kx < p.KW; kx++ {
							iy, ix := oy*p.StrideH-p.PadTop+ky, ox*p.StrideW-p.PadLeft+kx
							if iy < 0 || iy >= p.InH || ix < 0 || ix >= p.InW {
								continue
							}
							off := (iy*p.InW+ix)*c + ch
							v := x[n*img+off]
							if at < 0 || v > best {
								best, at = v, off
							}
							sum += float64(v)
							count++
						}
					}
					if p.CountIncludePad {
						count = p.KH * p.KW
					}
					if isMax {
						y[o], argmax[o] = best, int32(at)
						dx[n*img+at] += dy[o]
						continue
					}
					y[o] = float32(sum / float64(count))
					for ky := 0; ky < p.KH; ky++ {
						for kx := 0; kx < p.KW; kx++ {
							iy, ix := oy*p.StrideH-p.PadTop+ky, ox*p.StrideW-p.PadLeft+kx
							if iy >= 0 && iy < p.InH && ix >= 0 && ix < p.InW {
								dx[n*img+(iy*p.InW+ix)*c+ch] += dy[o] / float32(count)
							}
						}
					}
				}
			}
		}
	}
	return y, argmax, dx
}

var poolCases = []PoolParams{
	{Batch: 1, InH: 7, InW: 7, C: 3, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
	{Batch: 3, InH: 17, InW: 17, C: 8, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
	{Batch: 3, InH: 17, InW: 17, C: 8, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1, CountIncludePad: true},
	{Batch: 1, InH: 17, InW: 7, C: 5, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
	{Batch: 3, InH: 7, InW: 7, C: 4, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadBottom: 1, PadRight: 1},                          // TF same, odd pixel after
	{Batch: 1, InH: 17, InW: 17, C: 2, KH: 5, KW: 3, StrideH: 3, StrideW: 1, PadTop: 2, PadBottom: 0, PadLeft: 0, PadRight: 2}, // asymmetric
	{Batch: 3, InH: 7, InW: 17, C: 1, KH: 1, KW: 1, StrideH: 2, StrideW: 3},
	{Batch: 1, InH: 7, InW: 7, C: 6, KH: 7, KW: 7, StrideH: 1, StrideW: 1, CountIncludePad: true},
}

func TestPoolMatchesNaive(t *testing.T) {
	for i, p := range poolCases {
		t.Run(fmt.Sprintf("%d_%+v", i, p), func(t *testing.T) {
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			x := randomSlice(rng, p.Batch*p.InH*p.InW*p.C)
			dy := randomSlice(rng, p.Batch*p.OutH()*p.OutW()*p.C)
			nan := float32(math.NaN())

			wantY, wantIdx, wantDx := naivePool(p, true, x, dy)
			y, idx, dx := filled(len(wantY), nan), make([]int32, len(wantY)), filled(len(x), nan)
			MaxPool2D(p, x, y, idx)
			MaxPool2DBackward(p, dy, idx, dx)
			assertClose(t, "max y", y, wantY)
			for j := range idx {
				if idx[j] != wantIdx[j] {
					t.Fatalf("argmax[%d] = %d, want %d", j, idx[j], wantIdx[j])
				}
			}
			assertClose(t, "max dx", dx, wantDx)

			wantY, _, wantDx = naivePool(p, false, x, dy)
			y, dx = filled(len(wantY), nan), filled(len(x), nan)
			AvgPool2D(p, x, y)
			AvgPool2DBackward(p, dy, dx)
			assertClose(t, "avg y", y, wantY)
			assertClose(t, "avg dx", dx, wantDx)
		})
	}
}

func TestAvgPoolPaddingDivisor(t *testing.T) {
	// A 2x2 image of ones with a 3x3 window padded by 1: the corner output
	// sees 4 real pixels. TensorFlow divides by 4, PyTorch by 9.
	p := PoolParams{Batch: 1, InH: 2, InW: 2, C: 1, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}
	x, y := []float32{1, 1, 1, 1}, make([]float32, 1)
	AvgPool2D(p, x, y)
	if y[0] != 1 {
		t.Errorf("excluding padding: %v, want 1", y[0])
	}
	p.CountIncludePad = true
	AvgPool2D(p, x, y)
	if math.Abs(float64(y[0])-4.0/9) > 1e-6 {
		t.Errorf("including padding: %v, want 4/9", y[0])
	}
}

func TestMaxPoolTiesAndNaN(t *testing.T) {
	p := PoolParams{Batch: 1, InH: 2, InW: 2, C: 2, KH: 2, KW: 2, StrideH: 1, StrideW: 1}
	nan := float32(math.NaN())
	x := []float32{5, 1, 5, nan, 5, 2, 5, 3}
	y, idx := make([]float32, 2), make([]int32, 2)
	MaxPool2D(p, x, y, idx)
	if y[0] != 5 || idx[0] != 0 {
		t.Errorf("ties: got %v at %d, want 5 at 0 (the first)", y[0], idx[0])
	}
	if y[1] == y[1] || idx[1] != 3 {
		t.Errorf("NaN: got %v at %d, want NaN at 3", y[1], idx[1])
	}
}

func TestPoolValidateRejects(t *testing.T) {
	good := PoolParams{Batch: 1, InH: 7, InW: 7, C: 3, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid params rejected: %v", err)
	}
	for name, mut := range map[string]func(*PoolParams){
		"zero channels":  func(p *PoolParams) { p.C = 0 },
		"zero window":    func(p *PoolParams) { p.KH = 0 },
		"zero stride":    func(p *PoolParams) { p.StrideW = 0 },
		"negative pad":   func(p *PoolParams) { p.PadTop = -1 },
		"pad as big":     func(p *PoolParams) { p.PadRight = 3 },
		"window too big": func(p *PoolParams) { p.KH, p.PadTop, p.PadBottom = 10, 0, 0 },
		"int32 overflow": func(p *PoolParams) { p.InH, p.InW, p.C = 1<<16, 1<<16, 1 },
	} {
		p := good
		mut(&p)
		if p.Validate() == nil {
			t.Errorf("%s: Validate accepted %+v", name, p)
		}
	}
}

func TestGlobalPools(t *testing.T) {
	const batch, hw, c = 3, 17, 5
	rng := rand.New(rand.NewPCG(3, 5))
	x, dy := randomSlice(rng, batch*hw*c), randomSlice(rng, batch*c)
	wantAvg, wantMax := make([]float32, batch*c), make([]float32, batch*c)
	wantIdx := make([]int32, batch*c)
	wantAvgDx, wantMaxDx := make([]float32, len(x)), make([]float32, len(x))
	for n := 0; n < batch; n++ {
		for ch := 0; ch < c; ch++ {
			var s float64
			best, at := float32(math.Inf(-1)), -1
			for px := 0; px < hw; px++ {
				v := x[(n*hw+px)*c+ch]
				s += float64(v)
				if at < 0 || v > best {
					best, at = v, px*c+ch
				}
				wantAvgDx[(n*hw+px)*c+ch] = dy[n*c+ch] / hw
			}
			wantAvg[n*c+ch], wantMax[n*c+ch], wantIdx[n*c+ch] = float32(s/hw), best, int32(at)
			wantMaxDx[n*hw*c+at] = dy[n*c+ch]
		}
	}
	nan := float32(math.NaN())
	y, dx := filled(batch*c, nan), filled(len(x), nan)
	GlobalAvgPool(batch, hw, c, x, y)
	GlobalAvgPoolBackward(batch, hw, c, dy, dx)
	assertClose(t, "avg", y, wantAvg)
	assertClose(t, "avg dx", dx, wantAvgDx)
	idx := make([]int32, batch*c)
	y, dx = filled(batch*c, nan), filled(len(x), nan)
	GlobalMaxPool(batch, hw, c, x, y, idx)
	GlobalMaxPoolBackward(batch, hw, c, dy, idx, dx)
	assertClose(t, "max", y, wantMax)
	assertClose(t, "max dx", dx, wantMaxDx)
	for i := range idx {
		if idx[i] != wantIdx[i] {
			t.Fatalf("argmax[%d] = %d, want %d", i, idx[i], wantIdx[i])
		}
	}
}
