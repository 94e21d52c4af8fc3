package zoo

import (
	"math"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// TestAdaptiveAvgPool checks the windows against PyTorch's rule on a 5x3
// input pooled to 2x7 (shrinking rows, replicating columns), and the
// backward pass against the transposed forward.
func TestAdaptiveAvgPool(t *testing.T) {
	const n, h, w, c, oh, ow = 2, 5, 3, 2, 2, 7
	x := tensor.New(n, h, w, c)
	for i := range x.Data {
		x.Data[i] = float32(i*i%11) - 3
	}
	p := newAdaptiveAvgPool("pool", oh, ow)
	y, err := p.Forward([]*tensor.Tensor{x}, true)
	if err != nil {
		t.Fatal(err)
	}
	// Row windows for 5 -> 2: [0,3) and [2,5); columns for 3 -> 7: start
	// floor(j*3/7), end ceil((j+1)*3/7).
	rows := [][2]int{{0, 3}, {2, 5}}
	for b := range n {
		for i := range oh {
			for j := range ow {
				x0, x1 := j*w/ow, ((j+1)*w+ow-1)/ow
				for k := range c {
					var s float64
					for yy := rows[i][0]; yy < rows[i][1]; yy++ {
						for xx := x0; xx < x1; xx++ {
							s += float64(x.Data[((b*h+yy)*w+xx)*c+k])
						}
					}
					want := s / float64((rows[i][1]-rows[i][0])*(x1-x0))
					if got := y.Data[((b*oh+i)*ow+j)*c+k]; math.Abs(float64(got)-want) > 1e-5 {
						t.Fatalf("y[%d,%d,%d,%d] = %v, want %v", b, i, j, k, got, want)
					}
				}
			}
		}
	}
	// <dy, pool(x)> = <pool^T(dy), x> for any dy.
	dy := tensor.New(y.Shape...)
	for i := range dy.Data {
		dy.Data[i] = float32(i%5) - 2
	}
	dx, err := p.Backward(dy, true)
	if err != nil {
		t.Fatal(err)
	}
	var lhs, rhs float64
	for i := range dy.Data {
		lhs += float64(dy.Data[i]) * float64(y.Data[i])
	}
	for i := range x.Data {
		rhs += float64(dx[0].Data[i]) * float64(x.Data[i])
	}
	if math.Abs(lhs-rhs) > 1e-3 {
		t.Errorf("<dy, y> = %v, <dx, x> = %v", lhs, rhs)
	}
	if _, err := p.Backward(dy, true); err == nil {
		t.Error("second Backward: no error")
	}
}
