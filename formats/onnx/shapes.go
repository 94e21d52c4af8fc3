package onnx

// This file infers the static shapes of converted tensors in ONNX's NCHW
// terms, so that Shape can be folded and Reshape targets resolved. An
// unknown dimension (a symbolic batch size) is -1 and stays -1.

// product multiplies dims, or returns -1 if any is unknown.
func product(dims []int64) int64 {
	p := int64(1)
	for _, d := range dims {
		if d < 0 {
			return -1
		}
		p *= d
	}
	return p
}

// windowShape is the NCHW output shape of a convolution or pooling node
// with channels output channels and a kh x kw window over x.
func (c *converter) windowShape(n *Node, x *value, channels int64, kh, kw, dh, dw int, ceil bool) []int64 {
	out := []int64{-1, channels, -1, -1}
	if x.rank() != 4 {
		return out
	}
	out[0] = x.shape[0]
	strides := intsAttr(n, "strides", []int64{1, 1})
	pads := intsAttr(n, "pads", []int64{0, 0, 0, 0})
	if len(strides) != 2 || len(pads) != 4 {
		return out
	}
	auto := strAttr(n, "auto_pad", "NOTSET")
	for i, k := range []int64{int64(kh), int64(kw)} {
		in, s, d := x.shape[2+i], strides[i], int64([]int{dh, dw}[i])
		if in < 0 || s < 1 {
			continue
		}
		switch auto {
		case "SAME_UPPER", "SAME_LOWER":
			out[2+i] = (in + s - 1) / s
		case "VALID":
			out[2+i] = windowOut(in, (k-1)*d+1, s, 0, 0, ceil)
		default:
			out[2+i] = windowOut(in, (k-1)*d+1, s, pads[i], pads[2+i], ceil)
		}
	}
	return out
}

// windowOut is the number of windows of span k with stride s over in
// values padded by before and after; in ceil mode a last partial window
// counts when it starts inside the input or the leading padding (PyTorch's
// rule, which ONNX adopted).
func windowOut(in, k, s, before, after int64, ceil bool) int64 {
	span := in + before + after - k
	if span < 0 {
		return 0
	}
	if !ceil {
		return span/s + 1
	}
	out := (span+s-1)/s + 1
	if (out-1)*s >= in+before {
		out--
	}
	return out
}

// broadcastShape is the static shape of an element-wise result, -1 where
// it cannot be told.
func broadcastShape(a, b []int64) []int64 {
	n := max(len(a), len(b))
	out := make([]int64, n)
	for i := range n {
		da, db := int64(1), int64(1)
		if j := i - (n - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (n - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			out[i] = -1
		}
	}
	return out
}
