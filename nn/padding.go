package nn

import "github.com/graft-ml/graft/compute"

// Padding says how a convolution or pooling window pads its input: either
// TensorFlow's "same" (computed from the input size at Forward) or explicit
// amounts per side. The zero value is "valid" (no padding).
type Padding struct {
	Same                     bool
	Top, Bottom, Left, Right int
}

// PadValid is no padding (Keras "valid").
func PadValid() Padding { return Padding{} }

// PadSame is TensorFlow's "same" padding: output size ceil(in/stride), the
// odd pixel after.
func PadSame() Padding { return Padding{Same: true} }

// PadSymmetric pads h rows above and below and w columns left and right, as
// PyTorch's padding=(h, w) does.
func PadSymmetric(h, w int) Padding { return Padding{Top: h, Bottom: h, Left: w, Right: w} }

// PadExplicit pads each side by its own amount.
func PadExplicit(top, bottom, left, right int) Padding {
	return Padding{Top: top, Bottom: bottom, Left: left, Right: right}
}

// resolve returns the explicit padding for an input of inH x inW.
func (p Padding) resolve(inH, inW, kh, kw, sh, sw, dh, dw int) (top, bottom, left, right int) {
	if !p.Same {
		return p.Top, p.Bottom, p.Left, p.Right
	}
	top, bottom = compute.SamePadding(inH, kh, sh, dh)
	left, right = compute.SamePadding(inW, kw, sw, dw)
	return
}

func (p Padding) negative() bool {
	return p.Top < 0 || p.Bottom < 0 || p.Left < 0 || p.Right < 0
}
