package compute

// Per-channel reductions over every axis but the last (N, H, W of an NHWC
// tensor), for bias and BatchNorm gradients and BatchNorm statistics. Rows
// are summed in float32 in short blocks, and the blocks in float64, so the
// error does not grow with the batch size.

// reduceBlockRows is how many rows are summed in float32 before the block's
// sum is folded into the float64 total.
const reduceBlockRows = 64

// channelTotals returns, for each of c channels, the float64 sum over the
// rows of x of f(row) added blockwise, split across workers.
func channelTotals(x []float32, c int, rowFn func(acc, row []float32)) []float64 {
	rows := len(x) / c
	tiles := (rows + reduceBlockRows - 1) / reduceBlockRows
	parts := make([][]float64, Threads())
	parallelWorkers(tiles, func(wk, t0, t1 int) {
		total := make([]float64, c)
		buf := getScratch(c)
		defer putScratch(buf)
		acc := *buf
		for t := t0; t < t1; t++ {
			clear(acc)
			for r := t * reduceBlockRows; r < min((t+1)*reduceBlockRows, rows); r++ {
				rowFn(acc, x[r*c:(r+1)*c])
			}
			for i, v := range acc {
				total[i] += float64(v)
			}
		}
		parts[wk] = total
	})
	sum := make([]float64, c)
	for _, part := range parts {
		for i, v := range part {
			sum[i] += v
		}
	}
	return sum
}

// ChannelSum overwrites dst[c] with the sum of x over every element whose
// last-axis index is c; len(x) must be a multiple of len(dst).
func ChannelSum(dst, x []float32) {
	clear(dst)
	ChannelSumAdd(dst, x)
}

// ChannelSumAdd adds to dst[c] the sum of x over every element whose
// last-axis index is c, as a bias gradient needs; len(x) must be a multiple
// of len(dst).
func ChannelSumAdd(dst, x []float32) {
	if len(dst) == 0 {
		return
	}
	for i, v := range channelTotals(x, len(dst), addTo) {
		dst[i] += float32(v)
	}
}

// ChannelMeanVar writes each channel's mean and biased (population)
// variance over every element of x whose last-axis index is c, computed in
// two passes for accuracy; len(x) must be a positive multiple of len(mean),
// and variance must be as long as mean.
func ChannelMeanVar(mean, variance, x []float32) {
	c := len(mean)
	if c == 0 || len(x) < c {
		return
	}
	count := float64(len(x) / c)
	for i, v := range channelTotals(x, c, addTo) {
		mean[i] = float32(v / count)
	}
	m := mean
	sq := channelTotals(x, c, func(acc, row []float32) {
		row, mm := row[:len(acc)], m[:len(acc)]
		for i := range acc {
			d := row[i] - mm[i]
			acc[i] += d * d
		}
	})
	for i, v := range sq {
		variance[i] = float32(v / count)
	}
}

// channelSumSerial overwrites dst with the per-channel sums of x on the
// calling goroutine, blockwise like the parallel reductions.
func channelSumSerial(dst, x []float32) {
	c := len(dst)
	rows := len(x) / c
	total := make([]float64, c)
	for r0 := 0; r0 < rows; r0 += reduceBlockRows {
		clear(dst)
		for r := r0; r < min(r0+reduceBlockRows, rows); r++ {
			addTo(dst, x[r*c:(r+1)*c])
		}
		for i, v := range dst {
			total[i] += float64(v)
		}
	}
	for i, v := range total {
		dst[i] = float32(v)
	}
}
