package compute

// rowPacker is an assembly packer that interleaves a fixed number of rows:
// dst[p*ldd+i] = a[i*lda+p] for i < rows, p < kc.
type rowPacker struct {
	rows int
	fn   func(kc int, a *float32, lda int, dst *float32, ldd int)
}

// packRowsInterleaved sets dst[p*ldd+i] = src[i*ld+p] for i < rows and
// p < kc: it turns rows of a row-major matrix into the columns of a packed
// panel. Groups of rows go through the assembly packers where there are
// any; the rest runs in Go.
func packRowsInterleaved(rows, kc int, src []float32, ld int, dst []float32, ldd int) {
	if rows <= 0 || kc <= 0 {
		return
	}
	// Bounds for the assembly: the last element read and the last written.
	_ = src[(rows-1)*ld+kc-1]
	_ = dst[(kc-1)*ldd+rows-1]
	i := 0
	for _, rp := range rowPackers {
		for rows-i >= rp.rows {
			rp.fn(kc, &src[i*ld], ld, &dst[i], ldd)
			i += rp.rows
		}
	}
	for ; i < rows; i++ {
		row := src[i*ld : i*ld+kc]
		for p, v := range row {
			dst[p*ldd+i] = v
		}
	}
}

// packAPanels copies the mc×kc block of op(A) that starts at row i0, column
// p0 into dst as micro-panels of mr rows: panel r holds, for each of the kc
// steps, mr consecutive values. Rows past mc are zero.
func packAPanels(transA bool, a []float32, lda, i0, p0, mc, kc, mr int, dst []float32) {
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		d := dst[ir*kc : ir*kc+mr*kc]
		if transA {
			for p := 0; p < kc; p++ {
				src := a[(p0+p)*lda+i0+ir:]
				dp := d[p*mr : p*mr+mr]
				copy(dp, src[:rows])
				clear(dp[rows:])
			}
			continue
		}
		packRowsInterleaved(rows, kc, a[(i0+ir)*lda+p0:], lda, d, mr)
		if rows < mr {
			for p := 0; p < kc; p++ {
				clear(d[p*mr+rows : p*mr+mr])
			}
		}
	}
}

// packBPanels copies the kc×nc block of op(B) that starts at row p0, column
// j0 into dst as micro-panels of nr columns: panel j holds, for each of the
// kc steps, nr consecutive values. Columns past nc are zero.
func packBPanels(transB bool, b []float32, ldb, p0, j0, kc, nc, nr int, dst []float32) {
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		d := dst[jr*kc : jr*kc+nr*kc]
		if !transB {
			for p := 0; p < kc; p++ {
				src := b[(p0+p)*ldb+j0+jr:]
				dp := d[p*nr : p*nr+nr]
				copy(dp, src[:cols])
				clear(dp[cols:])
			}
			continue
		}
		packRowsInterleaved(cols, kc, b[(j0+jr)*ldb+p0:], ldb, d, nr)
		if cols < nr {
			for p := 0; p < kc; p++ {
				clear(d[p*nr+cols : p*nr+nr])
			}
		}
	}
}
