package modelio

import (
	"fmt"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/formats/onnx"
)

// openONNX loads an ONNX model. ONNX files do not record preprocessing;
// most image models in ONNX come from torchvision, so its ImageNet
// normalisation is assumed.
func openONNX(path string) (*Loaded, error) {
	n, err := onnx.Load(path)
	if err != nil {
		return nil, err
	}
	d := n.InputDims
	if len(d) != 4 || (d[1] != 3 && d[1] > 0) {
		return nil, fmt.Errorf("modelio: %s: input %s has dimensions %v, not an RGB image [N, 3, H, W]", path, n.InputName, d)
	}
	l := &Loaded{Graph: n.Graph, InputH: defaultSize, InputW: defaultSize}
	if d[2] > 0 && d[3] > 0 {
		l.InputH, l.InputW = int(d[2]), int(d[3])
	}
	if d[0] > 0 {
		l.InputBatch = int(d[0])
	}
	p := data.TorchvisionPreprocess(l.InputH)
	p.Width = l.InputW
	l.Preprocess = p
	l.guess = guessWarning(FormatONNX, p)
	return l, nil
}
