package compute

// This file lowers convolutions to Gemm: a 1x1, stride-1, unpadded
// convolution is one matrix product over the NHWC input as it lies; every
// other shape goes through im2col tiles of bounded size, processed in
// parallel with scratch from scratchPool.

// Tile sizes; variables only so that tests can shrink them to exercise
// many tiles on small shapes.
var (
	// colTileFloats bounds one worker's im2col tile: rows*K stays near this
	// many floats (512 KiB, about a core's L2) unless that leaves fewer than
	// minTileRows rows.
	colTileFloats = 1 << 17

	// minTileRows is the fewest output pixels in a tile, whatever K is, so
	// that Gemm's packing of the K×OutC kernel matrix, done once per tile,
	// costs little next to the tile's product.
	minTileRows = 336

	// filterTileDepth is the multiple of rows that backward-filter tiles
	// come in: Gemm's depth block, so that every pass over the dw tile it
	// accumulates into runs at full depth.
	filterTileDepth = 512
)

// gemmSerial is Gemm on the calling goroutine alone: the convolution
// kernels already split their work across Threads() workers, and nesting
// Gemm's own workers inside theirs only adds goroutines and packing.
func gemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	checkGemmOperand("C", false, m, n, c, ldc)
	checkGemmOperand("A", transA, m, k, a, lda)
	checkGemmOperand("B", transB, k, n, b, ldb)
	if m*n*k <= smallGemmVolume {
		gemmSmall(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	gemmBlocked(activeGemm.Load(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmSerialStreaming is gemmSerial for beta = 0 with C written by
// non-temporal stores (gemmBlockedStreaming) where the kernel has them.
func gemmSerialStreaming(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	kern := activeGemm.Load()
	if kern.stream == nil || m <= 0 || n <= 0 || m*n*k <= smallGemmVolume {
		gemmSerial(false, false, m, n, k, 1, a, lda, b, ldb, 0, c, ldc)
		return
	}
	checkGemmOperand("C", false, m, n, c, ldc)
	checkGemmOperand("A", false, m, k, a, lda)
	checkGemmOperand("B", false, k, n, b, ldb)
	gemmBlockedStreaming(kern, m, n, k, a, lda, b, ldb, c, ldc)
}

// streamOutputFloats is the output size, in floats (64 MiB), from which a
// pointwise forward without bias writes y with non-temporal stores: far
// beyond the caches, so that y's lines would be read from memory only to
// be overwritten (ResNet-50's 64→256 layers at 56x56 write 103 MB).
var streamOutputFloats = 1 << 24

// isPointwise reports a 1x1, stride-1, unpadded convolution, whose im2col
// matrix is the input itself.
func (p ConvParams) isPointwise() bool {
	return p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 &&
		p.PadTop == 0 && p.PadBottom == 0 && p.PadLeft == 0 && p.PadRight == 0
}

// pointwiseChunkRows is how many of total pixels a pointwise convolution
// hands a worker at a time: about eight chunks per worker, so that a worker
// the OS delays holds the others up little, but at least four times
// minTileRows, so that Gemm's packing of the kernel matrix stays cheap.
func pointwiseChunkRows(total int) int {
	return max((total+8*Threads()-1)/(8*Threads()), 4*minTileRows)
}

// pointwiseFewPixels reports a pointwise convolution over too few pixels
// for pointwiseChunkRows's chunks to share out evenly (ResNet's 7x7 layers:
// 1568 pixels at batch 32); it runs as one parallel Gemm instead, which
// splits the product by columns or in finer row chunks.
func pointwiseFewPixels(total int) bool {
	return total < 8*Threads()*minTileRows
}

// tileRows picks how many of total output pixels one im2col tile holds for
// a patch length of k, leaving each worker the same whole number of tiles.
func tileRows(total, k int) int {
	rows := max(colTileFloats/k, minTileRows)
	perWorker := (total + Threads() - 1) / Threads()
	// Even out the tiles so that every worker gets the same number of rows.
	tiles := (perWorker + rows - 1) / rows
	return max((perWorker+tiles-1)/tiles, 1)
}

// convForwardGemm computes y = conv(x, w) + bias through Gemm.
func convForwardGemm(p ConvParams, x, w, bias, y []float32) {
	icg, ocg := p.InC/p.Groups, p.OutC/p.Groups
	total := p.Batch * p.OutH() * p.OutW()
	if p.isPointwise() && p.Groups == 1 && pointwiseFewPixels(total) {
		Gemm(false, false, total, p.OutC, p.InC, 1, x, p.InC, w, p.OutC, 0, y, p.OutC)
		if bias != nil {
			ParallelFor(total, max(elementwiseGrain/p.OutC, 1), func(r0, r1 int) {
				addBiasRows(y[r0*p.OutC:r1*p.OutC], bias)
			})
		}
		return
	}
	if p.isPointwise() {
		chunk := pointwiseChunkRows(total)
		stream := bias == nil && p.Groups == 1 && total*p.OutC >= streamOutputFloats
		dynamicWorkers((total+chunk-1)/chunk, func(_ int, next func() int) {
			for t := next(); t >= 0; t = next() {
				r0, r1 := t*chunk, min((t+1)*chunk, total)
				if stream {
					gemmSerialStreaming(r1-r0, p.OutC, p.InC, x[r0*p.InC:], p.InC, w, p.OutC, y[r0*p.OutC:], p.OutC)
					continue
				}
				for g := 0; g < p.Groups; g++ {
					gemmSerial(false, false, r1-r0, ocg, icg, 1, x[r0*p.InC+g*icg:], p.InC,
						w[g*ocg:], p.OutC, 0, y[r0*p.OutC+g*ocg:], p.OutC)
				}
				if bias != nil {
					addBiasRows(y[r0*p.OutC:r1*p.OutC], bias)
				}
			}
		})
		return
	}
	k := p.KH * p.KW * icg
	rows := tileRows(total, k)
	tiles := (total + rows - 1) / rows
	dynamicWorkers(tiles, func(_ int, next func() int) {
		buf := getScratch(rows * k)
		defer putScratch(buf)
		col := *buf
		for t := next(); t >= 0; t = next() {
			r0, r1 := t*rows, min((t+1)*rows, total)
			for g := 0; g < p.Groups; g++ {
				im2colRows(p, x, g, r0, r1, col)
				gemmSerial(false, false, r1-r0, ocg, k, 1, col, k,
					w[g*ocg:], p.OutC, 0, y[r0*p.OutC+g*ocg:], p.OutC)
			}
			if bias != nil {
				addBiasRows(y[r0*p.OutC:r1*p.OutC], bias)
			}
		}
	})
}

// convBackwardDataGemm overwrites dx with the input gradient through Gemm:
// each tile's column gradient dy*Wᵀ is scattered back by col2im.
func convBackwardDataGemm(p ConvParams, dy, w, dx []float32) {
	icg, ocg := p.InC/p.Groups, p.OutC/p.Groups
	oh, ow := p.OutH(), p.OutW()
	total := p.Batch * oh * ow
	if p.isPointwise() && p.Groups == 1 && pointwiseFewPixels(total) {
		Gemm(false, true, total, p.InC, p.OutC, 1, dy, p.OutC, w, p.OutC, 0, dx, p.InC)
		return
	}
	if p.isPointwise() {
		chunk := pointwiseChunkRows(total)
		dynamicWorkers((total+chunk-1)/chunk, func(_ int, next func() int) {
			for t := next(); t >= 0; t = next() {
				r0, r1 := t*chunk, min((t+1)*chunk, total)
				for g := 0; g < p.Groups; g++ {
					gemmSerial(false, true, r1-r0, icg, ocg, 1, dy[r0*p.OutC+g*ocg:], p.OutC,
						w[g*ocg:], p.OutC, 0, dx[r0*p.InC+g*icg:], p.InC)
				}
			}
		})
		return
	}
	if q, ok := backwardDataAsForward(p); ok {
		if kern := activeGemm.Load(); p.Groups == 1 && q.useDirect(kern) {
			nr := kern.nr
			buf := getScratch(p.KH * (p.InC + nr - 1) / nr * nr * p.KW * p.OutC)
			defer putScratch(buf)
			packDirectKernelFlipped(p, nr, w, *buf)
			convForwardDirectPacked(kern, q, dy, *buf, nil, dx)
			return
		}
		buf := getScratch(p.KH * p.KW * icg * p.OutC)
		defer putScratch(buf)
		flipKernel(p, w, *buf)
		convForward(q, dy, *buf, nil, dx)
		return
	}
	k := p.KH * p.KW * icg
	// Tiles are whole output rows of one image, so that tiles two apart
	// never touch the same input row: even tiles run first, odd ones after.
	reach := (p.KH - 1) * p.DilationH // input rows one output row's window spans, minus one
	bandRows := max(tileRows(total, k)/ow, reach/p.StrideH+1, 1)
	bandRows = min(bandRows, oh)
	bandsPerImage := (oh + bandRows - 1) / bandRows
	overlap := reach >= p.StrideH // do windows of neighbouring output rows share input rows?
	ParallelFor(len(dx), 1<<14, func(s, e int) { clear(dx[s:e]) })
	run := func(phase, step int) {
		bands := (bandsPerImage - phase + step - 1) / step
		parallelWorkers(p.Batch*bands, func(_, t0, t1 int) {
			buf := getScratch(bandRows * ow * k)
			defer putScratch(buf)
			col := *buf
			for t := t0; t < t1; t++ {
				n, b := t/bands, phase+(t%bands)*step
				oy0, oy1 := b*bandRows, min((b+1)*bandRows, oh)
				r0, r1 := (n*oh+oy0)*ow, (n*oh+oy1)*ow
				for g := 0; g < p.Groups; g++ {
					gemmSerial(false, true, r1-r0, k, ocg, 1, dy[r0*p.OutC+g*ocg:], p.OutC,
						w[g*ocg:], p.OutC, 0, col, k)
					col2imRows(p, col, g, r0, r1, dx)
				}
			}
		})
	}
	if overlap && bandsPerImage > 1 {
		run(0, 2)
		run(1, 2)
	} else {
		run(0, 1)
	}
}

// convBackwardFilterGemm adds the kernel gradient im2colᵀ*dy to dw. The
// output pixels are split into one contiguous share per worker; each worker
// sums its share, in tiles of whole multiples of filterTileDepth rows, into
// its own buffer, and the buffers are added into dw at the end.
//
// Gemm must pack the operand it reads transposed, which is slow, so the
// product runs in whichever orientation transposes the narrower operand:
// dw = im2colᵀ*dy when K <= OutC/Groups, else dwᵀ = dyᵀ*im2col, whose
// buffers are transposed into dw when they are added.
func convBackwardFilterGemm(p ConvParams, x, dy, dw []float32) {
	icg, ocg := p.InC/p.Groups, p.OutC/p.Groups
	total := p.Batch * p.OutH() * p.OutW()
	k := p.KH * p.KW * icg
	dw = dw[:k*p.OutC]
	flip := k > ocg
	rows := max(colTileFloats/k/filterTileDepth, 1) * filterTileDepth
	workers := min(Threads(), (total+filterTileDepth-1)/filterTileDepth)
	partials := make([]*[]float32, workers)
	parallelWorkers(workers, func(wk, _, _ int) {
		lo, hi := wk*total/workers, (wk+1)*total/workers
		acc, beta := dw, float32(1)
		if wk > 0 || flip {
			partials[wk] = getScratch(len(dw))
			acc, beta = *partials[wk], 0
		}
		var col []float32
		step := hi - lo // a pointwise share is one product, read in place
		if !p.isPointwise() {
			step = min(rows, hi-lo)
			buf := getScratch(step * k)
			defer putScratch(buf)
			col = *buf
		}
		for r0 := lo; r0 < hi; r0 += step {
			r1 := min(r0+step, hi)
			for g := 0; g < p.Groups; g++ {
				a, lda := col, k
				if col == nil {
					a, lda = x[r0*p.InC+g*icg:], p.InC
				} else {
					im2colRows(p, x, g, r0, r1, col)
				}
				grad := dy[r0*p.OutC+g*ocg:]
				if flip {
					gemmSerial(true, false, ocg, k, r1-r0, 1, grad, p.OutC, a, lda,
						beta, acc[g*ocg*k:], k)
				} else {
					gemmSerial(true, false, k, ocg, r1-r0, 1, a, lda, grad, p.OutC,
						beta, acc[g*ocg:], p.OutC)
				}
			}
			beta = 1
		}
	})
	first := 1
	if flip {
		first = 0
		for _, part := range partials[1:] {
			addToParallel(*partials[0], *part)
		}
		addTransposed(dw, *partials[0], k, p.OutC)
	}
	for _, part := range partials[first:] {
		if first == 1 {
			addToParallel(dw, *part)
		}
		putScratch(part)
	}
}

// addTransposed adds the cols×rows matrix t, transposed, to the rows×cols
// matrix dst.
func addTransposed(dst, t []float32, rows, cols int) {
	ParallelFor(rows, max(elementwiseGrain/cols, 1), func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			d := dst[r*cols : (r+1)*cols]
			for c := range d {
				d[c] += t[c*rows+r]
			}
		}
	})
}
