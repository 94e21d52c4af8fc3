package compute

// This file holds the plain, obviously-correct kernels that the fast ones are
// tested against. They are exported so that tests of other packages can use
// them too; nothing on a hot path calls them.

// GemmReference computes C = alpha*op(A)*op(B) + beta*C for row-major
// matrices, accumulating in float64. op(A) is m×k, op(B) is k×n.
func GemmReference(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			old := float32(0)
			if beta != 0 {
				old = beta * c[i*ldc+j]
			}
			c[i*ldc+j] = alpha*float32(s) + old
		}
	}
}

// Conv2DReference is the direct seven-loop convolution: y = conv(x, w) + bias.
// x is NHWC, w is [KH][KW][InC/Groups][OutC], y is NHWC and is overwritten.
// bias may be nil.
func Conv2DReference(p ConvParams, x, w, bias, y []float32) {
	oh, ow := p.OutH(), p.OutW()
	icg, ocg := p.InC/p.Groups, p.OutC/p.Groups
	for n := 0; n < p.Batch; n++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for oc := 0; oc < p.OutC; oc++ {
					g := oc / ocg
					var s float64
					if bias != nil {
						s = float64(bias[oc])
					}
					for ky := 0; ky < p.KH; ky++ {
						iy := oy*p.StrideH - p.PadTop + ky*p.DilationH
						if iy < 0 || iy >= p.InH {
							continue
						}
						for kx := 0; kx < p.KW; kx++ {
							ix := ox*p.StrideW - p.PadLeft + kx*p.DilationW
							if ix < 0 || ix >= p.InW {
								continue
							}
							for ic := 0; ic < icg; ic++ {
								xv := x[((n*p.InH+iy)*p.InW+ix)*p.InC+g*icg+ic]
								wv := w[((ky*p.KW+kx)*icg+ic)*p.OutC+oc]
								s += float64(xv) * float64(wv)
							}
						}
					}
					y[((n*oh+oy)*ow+ox)*p.OutC+oc] = float32(s)
				}
			}
		}
	}
}

// Conv2DBackwardDataReference overwrites dx with the gradient of the loss
// with respect to the convolution's input, given dy.
func Conv2DBackwardDataReference(p ConvParams, dy, w, dx []float32) {
	oh, ow := p.OutH(), p.OutW()
	icg, ocg := p.InC/p.Groups, p.OutC/p.Groups
	acc := make([]float64, len(dx))
	for n := 0; n < p.Batch; n++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for oc := 0; oc < p.OutC; oc++ {
					g := oc / ocg
					d := float64(dy[((n*oh+oy)*ow+ox)*p.OutC+oc])
					for ky := 0; ky < p.KH; ky++ {
						iy := oy*p.StrideH - p.PadTop + ky*p.DilationH
						if iy < 0 || iy >= p.InH {
							continue
						}
						for kx := 0; kx < p.KW; kx++ {
							ix := ox*p.StrideW - p.PadLeft + kx*p.DilationW
							if ix < 0 || ix >= p.InW {
								continue
							}
							for ic := 0; ic < icg; ic++ {
								acc[((n*p.InH+iy)*p.InW+ix)*p.InC+g*icg+ic] += d * float64(w[((ky*p.KW+kx)*icg+ic)*p.OutC+oc])
							}
						}
					}
				}
			}
		}
	}
	for i, v := range acc {
		dx[i] = float32(v)
	}
}

// Conv2DBackwardFilterReference adds the gradient with respect to the
// weights to dw and, when dbias is not nil, the bias gradient to dbias.
func Conv2DBackwardFilterReference(p ConvParams, x, dy, dw, dbias []float32) {
	oh, ow := p.OutH(), p.OutW()
	icg, ocg := p.InC/p.Groups, p.OutC/p.Groups
	acc := make([]float64, len(dw))
	bacc := make([]float64, p.OutC)
	for n := 0; n < p.Batch; n++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for oc := 0; oc < p.OutC; oc++ {
					g := oc / ocg
					d := float64(dy[((n*oh+oy)*ow+ox)*p.OutC+oc])
					bacc[oc] += d
					for ky := 0; ky < p.KH; ky++ {
						iy := oy*p.StrideH - p.PadTop + ky*p.DilationH
						if iy < 0 || iy >= p.InH {
							continue
						}
						for kx := 0; kx < p.KW; kx++ {
							ix := ox*p.StrideW - p.PadLeft + kx*p.DilationW
							if ix < 0 || ix >= p.InW {
								continue
							}
							for ic := 0; ic < icg; ic++ {
								acc[((ky*p.KW+kx)*icg+ic)*p.OutC+oc] += d * float64(x[((n*p.InH+iy)*p.InW+ix)*p.InC+g*icg+ic])
							}
						}
					}
				}
			}
		}
	}
	for i, v := range acc {
		dw[i] += float32(v)
	}
	if dbias != nil {
		for i, v := range bacc {
			dbias[i] += float32(v)
		}
	}
}
