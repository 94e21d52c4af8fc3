package data

import (
	"fmt"
	"image"
	"math"
)

// ResizePolicy says how an image of any size becomes Height×Width.
type ResizePolicy int

const (
	// ResizeShorterCrop scales the image, keeping its aspect ratio, so it
	// covers floor(Height/CropRatio)×floor(Width/CropRatio) (for a square
	// target: the shorter side becomes floor(Size/CropRatio), as
	// torchvision's Resize(256)), then crops the centre Height×Width (as
	// CenterCrop(224)).
	ResizeShorterCrop ResizePolicy = iota
	// ResizeSquash scales the image to Height×Width, ignoring aspect ratio.
	ResizeSquash
	// ResizeCenterSquare crops the largest centred square, then scales it
	// to Height×Width.
	ResizeCenterSquare
)

// String returns the policy's name.
func (r ResizePolicy) String() string {
	switch r {
	case ResizeShorterCrop:
		return "shorter-crop"
	case ResizeSquash:
		return "squash"
	case ResizeCenterSquare:
		return "center-square"
	}
	return fmt.Sprintf("ResizePolicy(%d)", int(r))
}

// Interpolation names a resampling filter.
type Interpolation int

const (
	// Bilinear is Pillow's BILINEAR: a triangle filter whose support grows
	// with the downscaling factor, so shrinking antialiases.
	Bilinear Interpolation = iota
)

// ChannelOrder is the order of the three channels in the output.
type ChannelOrder int

// The channel orders.
const (
	OrderRGB ChannelOrder = iota
	OrderBGR
)

// ScaleMode says how 8-bit values become network inputs.
type ScaleMode int

const (
	// ScaleUnit maps x to x/255, in [0, 1].
	ScaleUnit ScaleMode = iota
	// ScaleSymmetric maps x to x/127.5 - 1, in [-1, 1] (Keras "tf").
	ScaleSymmetric
	// ScaleCaffe subtracts the ImageNet mean (R 123.68, G 116.779,
	// B 103.939) from x in [0, 255] without scaling; with OrderBGR it is
	// Keras "caffe" preprocessing.
	ScaleCaffe
	// ScaleMeanStd maps x to (x/255 - Mean)/Std per channel (Keras "torch"
	// and torchvision's Normalize); zero Mean and Std take the ImageNet
	// values.
	ScaleMeanStd
)

// ImageNet statistics, in RGB order.
var (
	ImageNetMean = [3]float32{0.485, 0.456, 0.406}
	ImageNetStd  = [3]float32{0.229, 0.224, 0.225}
	caffeMean    = [3]float32{123.68, 116.779, 103.939}
)

// DefaultCropRatio is torchvision's evaluation ratio, 224/256.
const DefaultCropRatio = 0.875

// Preprocess is a model's input preprocessing: the size it takes, how an
// image is resized to it, the channel order and how values are scaled.
// It is a plain value, stored with a model and copied freely.
type Preprocess struct {
	Height, Width int
	Resize        ResizePolicy
	CropRatio     float64 // for ResizeShorterCrop; 0 means DefaultCropRatio
	Interpolation Interpolation
	Order         ChannelOrder
	Scale         ScaleMode
	Mean, Std     [3]float32 // RGB order, for ScaleMeanStd; zero means ImageNet
}

// TorchvisionPreprocess is torchvision's ImageNet evaluation transform:
// resize the shorter side to size/0.875, centre crop, ImageNet mean/std.
func TorchvisionPreprocess(size int) Preprocess {
	return Preprocess{Height: size, Width: size, Resize: ResizeShorterCrop, CropRatio: DefaultCropRatio, Scale: ScaleMeanStd,
		Mean: ImageNetMean, Std: ImageNetStd}
}

// KerasCaffePreprocess is Keras "caffe" preprocessing (VGG, ResNet50 v1):
// squash to size, BGR, ImageNet mean subtracted.
func KerasCaffePreprocess(size int) Preprocess {
	return Preprocess{Height: size, Width: size, Resize: ResizeSquash, Order: OrderBGR, Scale: ScaleCaffe}
}

// KerasTFPreprocess is Keras "tf" preprocessing (Inception, MobileNet,
// Xception): squash to size, values in [-1, 1].
func KerasTFPreprocess(size int) Preprocess {
	return Preprocess{Height: size, Width: size, Resize: ResizeSquash, Scale: ScaleSymmetric}
}

// Validate reports whether p describes a usable preprocessing.
func (p Preprocess) Validate() error {
	if p.Height <= 0 || p.Width <= 0 {
		return fmt.Errorf("data: preprocess: size %dx%d must be positive", p.Height, p.Width)
	}
	if p.Resize < ResizeShorterCrop || p.Resize > ResizeCenterSquare {
		return fmt.Errorf("data: preprocess: unknown resize policy %d", int(p.Resize))
	}
	if p.CropRatio < 0 || p.CropRatio > 1 || math.IsNaN(p.CropRatio) {
		return fmt.Errorf("data: preprocess: crop ratio %v outside (0, 1]", p.CropRatio)
	}
	if p.Interpolation != Bilinear {
		return fmt.Errorf("data: preprocess: unknown interpolation %d", int(p.Interpolation))
	}
	if p.Order != OrderRGB && p.Order != OrderBGR {
		return fmt.Errorf("data: preprocess: unknown channel order %d", int(p.Order))
	}
	if p.Scale < ScaleUnit || p.Scale > ScaleMeanStd {
		return fmt.Errorf("data: preprocess: unknown scale mode %d", int(p.Scale))
	}
	if p.Scale == ScaleMeanStd && p.Std != ([3]float32{}) {
		for c, s := range p.Std {
			if !(s > 0) {
				return fmt.Errorf("data: preprocess: std[%d] = %v must be positive", c, s)
			}
		}
	}
	return nil
}

// Numel returns the number of float32 values one preprocessed image takes.
func (p Preprocess) Numel() int { return p.Height * p.Width * 3 }

// plan returns the crop of the source, the size it is resized to and the
// output window of that resize that forms the result.
func (p Preprocess) plan(iw, ih int) (crop image.Rectangle, outW, outH int, win image.Rectangle) {
	H, W := p.Height, p.Width
	crop = image.Rect(0, 0, iw, ih)
	switch p.Resize {
	case ResizeSquash:
		return crop, W, H, image.Rect(0, 0, W, H)
	case ResizeCenterSquare:
		// The odd pixel is dropped on the right/bottom (offsets floor), as
		// the reference crop (w-s)//2 in Coral's and Graft's golden data.
		s := min(iw, ih)
		x0, y0 := (iw-s)/2, (ih-s)/2
		return image.Rect(x0, y0, x0+s, y0+s), W, H, image.Rect(0, 0, W, H)
	}
	r := p.CropRatio
	if r == 0 {
		r = DefaultCropRatio
	}
	th, tw := int(math.Floor(float64(H)/r)), int(math.Floor(float64(W)/r))
	// Fit the height first, as torchvision does when the height is the
	// shorter side; fall back to the width when that leaves it too narrow.
	outH, outW = th, int(float64(th*iw)/float64(ih))
	if outW < tw {
		outW, outH = tw, int(float64(tw*ih)/float64(iw))
	}
	outW, outH = max(outW, W), max(outH, H)
	top, left := roundHalfEven(float64(outH-H)/2), roundHalfEven(float64(outW-W)/2)
	return crop, outW, outH, image.Rect(left, top, left+W, top+H)
}

// roundHalfEven rounds as Python's round does.
func roundHalfEven(x float64) int { return int(math.RoundToEven(x)) }

// Geometry resizes and crops src to Height×Width 8-bit RGB in dst, using z
// for scratch space.
func (p Preprocess) Geometry(z *Resizer, src, dst *RGB) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := src.validate(); err != nil {
		return fmt.Errorf("data: preprocess: %w", err)
	}
	crop, ow, oh, win := p.plan(src.W, src.H)
	return z.Resize(src, crop, ow, oh, win, dst)
}

// affine returns, per output position c (after channel reordering), the
// source channel and the a, b of value = a*x + b for x in [0, 1].
func (p Preprocess) affine() (ch [3]int, a, b [3]float32) {
	for c := 0; c < 3; c++ {
		var ac, bc float32 // for x in [0, 255]
		switch p.Scale {
		case ScaleUnit:
			ac, bc = 1.0/255, 0
		case ScaleSymmetric:
			ac, bc = 1/127.5, -1
		case ScaleCaffe:
			ac, bc = 1, -caffeMean[c]
		case ScaleMeanStd:
			mean, std := p.Mean, p.Std
			if mean == ([3]float32{}) && std == ([3]float32{}) {
				mean, std = ImageNetMean, ImageNetStd
			}
			ac, bc = 1/(255*std[c]), -mean[c]/std[c]
		}
		pos := c
		if p.Order == OrderBGR {
			pos = 2 - c
		}
		ch[pos], a[pos], b[pos] = c, 255*ac, bc
	}
	return ch, a, b
}

// Normalize scales an 8-bit image already Height×Width into dst, which must
// hold Numel values, in the configured channel order (HWC).
func (p Preprocess) Normalize(img *RGB, dst []float32) error {
	if img.W != p.Width || img.H != p.Height {
		return fmt.Errorf("data: preprocess: image is %dx%d, want %dx%d", img.W, img.H, p.Width, p.Height)
	}
	if len(dst) < p.Numel() {
		return fmt.Errorf("data: preprocess: buffer holds %d values, need %d", len(dst), p.Numel())
	}
	ch, a, b := p.affine()
	for c := range a {
		a[c] /= 255
	}
	px := img.Pix
	for i := 0; i+2 < len(px); i += 3 {
		dst[i] = float32(px[i+ch[0]])*a[0] + b[0]
		dst[i+1] = float32(px[i+ch[1]])*a[1] + b[1]
		dst[i+2] = float32(px[i+ch[2]])*a[2] + b[2]
	}
	return nil
}

// NormalizeUnit scales an RGB image held as floats in [0, 1] (HWC, Numel
// values, as augmentation produces) into dst in the configured channel
// order. src and dst may be the same slice.
func (p Preprocess) NormalizeUnit(src, dst []float32) error {
	n := p.Numel()
	if len(src) < n || len(dst) < n {
		return fmt.Errorf("data: preprocess: buffers hold %d and %d values, need %d", len(src), len(dst), n)
	}
	ch, a, b := p.affine()
	for i := 0; i < n; i += 3 {
		r, g, bl := src[i], src[i+1], src[i+2]
		v := [3]float32{r, g, bl}
		dst[i] = v[ch[0]]*a[0] + b[0]
		dst[i+1] = v[ch[1]]*a[1] + b[1]
		dst[i+2] = v[ch[2]]*a[2] + b[2]
	}
	return nil
}

// Apply resizes, crops and scales src into dst (Numel values, HWC), using
// z and tmp as scratch space.
func (p Preprocess) Apply(z *Resizer, src, tmp *RGB, dst []float32) error {
	if err := p.Geometry(z, src, tmp); err != nil {
		return err
	}
	return p.Normalize(tmp, dst)
}
