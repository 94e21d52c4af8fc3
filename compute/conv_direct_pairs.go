package compute

import (
	"cmp"
	"slices"
)

// Output rows of seven pixels (ResNet's 7x7 maps) fill only half of a
// 14-row micro-kernel tile, and the grid layout spends one row in eight on
// the column between rows. With a kernel whose A panel's second half has
// its own base pointer, a tile instead computes two whole output rows from
// anywhere in the padded input: no tile row is wasted. The two rows must
// sum the same kernel rows, so rows are paired among those whose kernel
// rows inside the image are the same (all interior rows, then the top rows
// of every image, then the bottom ones), which also skips the kernel rows
// that would read padding.

// pairKernel computes a tile like gemmKernel.fn, reading rows mr/2 and up
// of the A panel from a2 + (i-mr/2)*rsa.
type pairKernel func(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, a2 *float32)

// pairsPerTask is how many row pairs one task of directPairs computes for
// one panel of output channels: enough to reuse the panel's weights from
// L2 many times, few enough to balance the workers.
const pairsPerTask = 14

// outputRow is one output row of directPairs and the kernel rows
// [ky0, ky1) that read inside the image for it.
type outputRow struct{ n, oy, ky0, ky1 int }

// directPairs runs convForwardDirect's product over the whole batch for a
// p whose output rows are half as wide as kern's tile, two rows a tile
// with pk. The padded input of every image is copied first; the workers
// then take (panel of nr output channels, group of pairs) tasks, panel by
// panel, as directWhole does.
func directPairs(kern *gemmKernel, pk pairKernel, p ConvParams, x, wp, bias, y []float32) {
	mr, nr := kern.mr, kern.nr
	oh, ow, c := p.OutH(), p.OutW(), p.InC
	k := p.KW * c
	g := directGeometry{stride: p.InW + p.PadLeft + p.PadRight}
	rowFloats := g.stride * c
	rows := p.InH + p.PadTop + p.PadBottom
	imgFloats := rows*rowFloats + p.directSlack(mr)
	buf := getScratch(p.Batch * imgFloats)
	defer putScratch(buf)
	all := *buf
	ParallelFor(p.Batch, 1, func(n0, n1 int) {
		for n := n0; n < n1; n++ {
			g.copyRows(p, x[n*p.InH*p.InW*c:], -p.PadTop, rows, all[n*imgFloats:(n+1)*imgFloats])
		}
	})
	pairs := pairOutputRows(p)
	panels := (p.OutC + nr - 1) / nr
	groups := (len(pairs) + pairsPerTask - 1) / pairsPerTask
	sw := p.StrideW * c
	dynamicWorkers(panels*groups, func(_ int, next func() int) {
		tile := getScratch(mr * nr)
		defer putScratch(tile)
		for t := next(); t >= 0; t = next() {
			jp, grp := t/groups, t%groups
			j0 := jp * nr
			cols := min(nr, p.OutC-j0)
			wpanel := wp[j0*k:]
			for _, pr := range pairs[grp*pairsPerTask : min((grp+1)*pairsPerTask, len(pairs))] {
				beta := float32(0)
				for ky := pr[0].ky0; ky < pr[0].ky1; ky++ {
					a1 := &all[pr[0].n*imgFloats+(pr[0].oy*p.StrideH+ky*p.DilationH)*rowFloats]
					a2 := &all[pr[1].n*imgFloats+(pr[1].oy*p.StrideH+ky*p.DilationH)*rowFloats]
					pk(k, a1, sw, 1, &wpanel[ky*panels*nr*k], nr, &(*tile)[0], nr, 1, beta, a2)
					beta = 1
				}
				if beta == 0 { // no kernel row reads inside the image
					clear(*tile)
				}
				for h, r := range pr {
					yrow := y[(r.n*oh+r.oy)*ow*p.OutC:]
					for i := 0; i < ow; i++ {
						copy(yrow[i*p.OutC+j0:i*p.OutC+j0+cols], (*tile)[(h*ow+i)*nr:])
					}
				}
			}
		}
	})
	if bias != nil {
		ParallelFor(p.Batch*oh*ow, max(elementwiseGrain/p.OutC, 1), func(r0, r1 int) {
			addBiasRows(y[r0*p.OutC:r1*p.OutC], bias)
		})
	}
}

// pairOutputRows pairs p's output rows, over the whole batch, among rows
// whose kernel rows inside the image are the same; an odd one out is
// paired with itself.
func pairOutputRows(p ConvParams) [][2]outputRow {
	oh := p.OutH()
	list := make([]outputRow, 0, p.Batch*oh)
	for n := 0; n < p.Batch; n++ {
		for oy := 0; oy < oh; oy++ {
			ky0, ky1 := p.kernelRowsInside(oy*p.StrideH - p.PadTop)
			list = append(list, outputRow{n, oy, ky0, ky1})
		}
	}
	slices.SortStableFunc(list, func(a, b outputRow) int {
		return cmp.Or(cmp.Compare(a.ky0, b.ky0), cmp.Compare(a.ky1, b.ky1))
	})
	pairs := make([][2]outputRow, 0, (len(list)+1)/2)
	for i := 0; i < len(list); {
		a := list[i]
		if i+1 < len(list) && list[i+1].ky0 == a.ky0 && list[i+1].ky1 == a.ky1 {
			pairs = append(pairs, [2]outputRow{a, list[i+1]})
			i += 2
			continue
		}
		pairs = append(pairs, [2]outputRow{a, a})
		i++
	}
	return pairs
}
