package modelio

import (
	"fmt"
	"strings"

	"github.com/graft-ml/graft/data"
)

// defaultSize is the input size assumed when a file leaves it open.
const defaultSize = 224

// unitPreprocess is the guess for a float model that does not record its
// preprocessing: the centre square resized to h×w, values x/255 in [0, 1].
func unitPreprocess(h, w int) data.Preprocess {
	return data.Preprocess{Height: h, Width: w, Resize: data.ResizeCenterSquare, Scale: data.ScaleUnit}
}

// guessWarning is the warning for a format default.
func guessWarning(format Format, p data.Preprocess) string {
	return fmt.Sprintf("%s files do not record their preprocessing; assuming %s",
		format, DescribePreprocess(p))
}

// DescribePreprocess writes p for people: size, resize policy, channel
// order and scaling.
func DescribePreprocess(p data.Preprocess) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%dx%d, %s", p.Width, p.Height, p.Resize)
	if p.Resize == data.ResizeShorterCrop {
		r := p.CropRatio
		if r == 0 {
			r = data.DefaultCropRatio
		}
		fmt.Fprintf(&b, " (crop ratio %g)", r)
	}
	if p.Order == data.OrderBGR {
		b.WriteString(", BGR")
	} else {
		b.WriteString(", RGB")
	}
	switch p.Scale {
	case data.ScaleUnit:
		b.WriteString(", x/255 in [0, 1]")
	case data.ScaleSymmetric:
		b.WriteString(", x/127.5-1 in [-1, 1]")
	case data.ScaleCaffe:
		b.WriteString(", ImageNet mean subtracted (caffe)")
	case data.ScaleMeanStd:
		mean, std := p.Mean, p.Std
		if mean == ([3]float32{}) && std == ([3]float32{}) {
			mean, std = data.ImageNetMean, data.ImageNetStd
		}
		fmt.Fprintf(&b, ", (x/255-mean)/std with mean %s std %s", floats3(mean), floats3(std))
	default:
		fmt.Fprintf(&b, ", scale mode %d", int(p.Scale))
	}
	return b.String()
}

func floats3(v [3]float32) string {
	return fmt.Sprintf("[%.4g %.4g %.4g]", v[0], v[1], v[2])
}
