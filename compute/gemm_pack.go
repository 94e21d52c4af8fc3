package compute

// packAPanels copies the mc×kc block of op(A) that starts at row i0, column p0
// into dst as micro-panels of mr rows: panel r holds, for each of the kc
// steps, mr consecutive values. Rows past mc are zero.
//
// packRows, if not nil, packs full panels of an untransposed A (see
// gemmKernel.packRows).
func packAPanels(transA bool, a []float32, lda, i0, p0, mc, kc, mr int, dst []float32, packRows func(kc int, a *float32, lda int, dst *float32)) {
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		d := dst[ir*kc : ir*kc+mr*kc]
		if !transA && rows == mr && packRows != nil {
			// Bounds: the last element read is row i0+ir+mr-1, column p0+kc-1.
			_ = a[(i0+ir+mr-1)*lda+p0+kc-1]
			packRows(kc, &a[(i0+ir)*lda+p0], lda, &d[0])
			continue
		}
		if transA {
			for p := 0; p < kc; p++ {
				src := a[(p0+p)*lda+i0+ir:]
				dp := d[p*mr : p*mr+mr]
				copy(dp, src[:rows])
				clear(dp[rows:])
			}
			continue
		}
		for i := 0; i < rows; i++ {
			src := a[(i0+ir+i)*lda+p0:]
			src = src[:kc]
			for p, v := range src {
				d[p*mr+i] = v
			}
		}
		for i := rows; i < mr; i++ {
			for p := 0; p < kc; p++ {
				d[p*mr+i] = 0
			}
		}
	}
}

// packBPanels copies the kc×nc block of op(B) that starts at row p0, column j0
// into dst as micro-panels of nr columns: panel j holds, for each of the kc
// steps, nr consecutive values. Columns past nc are zero.
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
		for j := 0; j < cols; j++ {
			src := b[(j0+jr+j)*ldb+p0:]
			src = src[:kc]
			for p, v := range src {
				d[p*nr+j] = v
			}
		}
		for j := cols; j < nr; j++ {
			for p := 0; p < kc; p++ {
				d[p*nr+j] = 0
			}
		}
	}
}
