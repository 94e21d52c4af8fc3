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
	for t := 0; t < taps; t++ {
		src := w[t*icg*p.OutC : (t+1)*icg*p.OutC]
		dst := out[(taps-1-t)*ocg*p.InC : (taps-t)*ocg*p.InC]
		for g := 0; g < p.Groups; g++ {
			for i := 0; i < icg; i++ {
				row := src[i*p.OutC+g*ocg : i*p.OutC+(g+1)*ocg]
				for j, v := range row {
					dst[j*p.InC+g*icg+i] = v
				}
			}
		}
	}
}
