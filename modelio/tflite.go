package modelio

import (
	"fmt"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/formats/tflite"
)

// openTFLite loads a .tflite file. A quantised input says exactly how pixel
// bytes map to the float input, so the preprocessing follows from it; a
// float input is assumed to take [0, 1].
func openTFLite(path string) (*Loaded, error) {
	m, err := tflite.Load(path)
	if err != nil {
		return nil, err
	}
	if len(m.InputShape) != 4 || m.InputShape[3] != 3 {
		return nil, fmt.Errorf("modelio: %s: input %s has shape %v, not an RGB image [N, H, W, 3]", path, m.InputName, m.InputShape)
	}
	l := &Loaded{Graph: m.Graph, InputH: m.InputShape[1], InputW: m.InputShape[2]}
	if p, ok := tflitePreprocess(m.Input, l.InputH, l.InputW); ok {
		l.Preprocess = p
	} else {
		l.Preprocess = unitPreprocess(l.InputH, l.InputW)
		l.guess = guessWarning(FormatTFLite, l.Preprocess)
	}
	return l, nil
}

// tflitePreprocess derives the preprocessing of a quantised input: a pixel
// p in [0, 255] is the uint8 q = p (or the int8 q = p-128), and the graph
// takes Scale*(q-ZeroPoint) = (p/255-mean)/std with mean = (ZeroPoint
// [+128])/255 and std = 1/(255*Scale). The image is the centre square
// resized to the input size, as Coral's and TFLite's examples feed it.
func tflitePreprocess(q tflite.InputQuantization, h, w int) (data.Preprocess, bool) {
	if !q.Quantized || !(q.Scale > 0) {
		return data.Preprocess{}, false
	}
	zp := float64(q.ZeroPoint)
	if q.Type == tflite.Int8 {
		zp += 128
	}
	mean := float32(zp / 255)
	std := float32(1 / (255 * float64(q.Scale)))
	return data.Preprocess{Height: h, Width: w, Resize: data.ResizeCenterSquare, Scale: data.ScaleMeanStd,
		Mean: [3]float32{mean, mean, mean}, Std: [3]float32{std, std, std}}, true
}
