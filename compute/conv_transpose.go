package compute

// For stride 1, the input gradient of a convolution is itself a
// convolution: dy, padded by the kernel's reach minus the forward padding,
// correlated with the kernel flipped in space and with its input and output
// channels swapped. Running it through convForwardGemm writes dx directly,
// without col2im's scattered adds, and gives Gemm a deep K of
// KH*KW*OutC/Groups instead of OutC/Groups.

// backwardDataAsForward returns the forward convolution that computes p's
// input gradient, and false when p's stride or padding rule it out.
func backwardDataAsForward(p ConvParams) (ConvParams, bool) {
	reachH, reachW := p.DilationH*(p.KH-1), p.DilationW*(p.KW-1)
	if p.StrideH != 1 || p.StrideW != 1 || p.PadTop > reachH || p.PadBottom > reachH ||
		p.PadLeft > reachW || p.PadRight > reachW {
		return p, false
	}
	q := p
	q.InH, q.InW, q.InC, q.OutC = p.OutH(), p.OutW(), p.OutC, p.InC
	q.PadTop, q.PadBottom = reachH-p.PadTop, reachH-p.PadBottom
	q.PadLeft, q.PadRight = reachW-p.PadLeft, reachW-p.PadRight
	return q, true
}

// flipKernel writes p's kernel w flipped in space with each group's input
// and output channels swapped, the kernel of backwardDataAsForward(p):
// out[KH-1-ky][KW-1-kx][j][g*icg+i] = w[ky][kx][i][g*ocg+j].
func flipKernel(p ConvParams, w, out []float32) {
	icg, ocg := p.InC/p.Groups, p.OutC/p.Groups
	taps := p.KH * p.KW
	ParallelFor(taps, 1, func(t0, t1 int) {
		for t := t0; t < t1; t++ {
			src := w[t*icg*p.OutC : (t+1)*icg*p.OutC]
			dst := out[(taps-1-t)*ocg*p.InC : (taps-t)*ocg*p.InC]
			for g := 0; g < p.Groups; g++ {
				// Transpose in square blocks so that both sides stay in cache.
				for i0 := 0; i0 < icg; i0 += flipBlock {
					for j0 := 0; j0 < ocg; j0 += flipBlock {
						for i := i0; i < min(i0+flipBlock, icg); i++ {
							row := src[i*p.OutC+g*ocg+j0 : i*p.OutC+g*ocg+min(j0+flipBlock, ocg)]
							for j, v := range row {
								dst[(j0+j)*p.InC+g*icg+i] = v
							}
						}
					}
				}
			}
		}
	})
}

// flipBlock is the side of the square blocks flipKernel transposes.
const flipBlock = 16
