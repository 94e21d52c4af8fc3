package main

import (
	"fmt"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/modelio"
	"github.com/graft-ml/graft/tensor"
	"github.com/graft-ml/graft/train"
)

func init() {
	register(&command{name: "predict", summary: "classify images with a model: top-k labels and probabilities", run: runPredict})
}

const predictHelp = `Usage:
  graft predict --model FILE|NAME [--top 5] [--labels FILE] IMAGE...

Classifies each image with the model and prints its most likely classes with
their probabilities. Images are prepared with the model's own preprocessing
(size, crop, channel order, scaling). A softmax is applied when the model
outputs logits; an output that is already a probability distribution is
used as it is.

Labels come from --labels (one per line, in output order), else from the
model file, else from a labels.txt beside the model, else ImageNet's class
names for a 1000- or 1001-output model (1001: "background" first), else the
class index.

Example:
  graft predict --model mobilenet_v2_1.0_224_quant.tflite cat.jpg dog.jpg
  graft predict --model resnet50 --top 3 photos/*.jpg
  graft predict --model pets.graft --labels pets.txt cat.jpg
`

// predictBatch is how many images run through the model at once.
const predictBatch = 8

func runPredict(e *env, args []string) error {
	fs := e.flags("predict", predictHelp)
	model := fs.String("model", "", "model file or zoo name (required)")
	top := fs.Int("top", 5, "how many classes to print per image")
	labelsFile := fs.String("labels", "", "labels file, one class name per line in output order")
	mf := addModelFlags(fs)
	images, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *model == "":
		return usagef("predict", "--model is required")
	case len(images) == 0:
		return usagef("predict", "name at least one image")
	case *top < 1:
		return usagef("predict", "--top %d: want at least 1", *top)
	}
	var labels []string
	if *labelsFile != "" {
		if labels, err = modelio.ReadLabels(*labelsFile); err != nil {
			return err
		}
	}
	l, err := mf.open(e, *model, true)
	if err != nil {
		return err
	}
	if labels == nil {
		labels = l.Labels
	}
	p := &predictor{l: l, probsOut: train.EndsInSoftmax(l.Graph)}
	var failed int
	for start := 0; start < len(images); start += predictBatch {
		batch := images[start:min(start+predictBatch, len(images))]
		rows, errs, err := p.classify(batch)
		if err != nil {
			return err
		}
		for i, img := range batch {
			if errs[i] != nil {
				fmt.Fprintf(e.stderr, "graft: %s\n", errs[i])
				failed++
				continue
			}
			if labels != nil && len(labels) != len(rows[i]) {
				return fmt.Errorf("%d labels for a model with %d outputs", len(labels), len(rows[i]))
			}
			if labels == nil {
				labels = modelio.DefaultLabels(len(rows[i]))
			}
			fmt.Fprintln(e.stdout, img)
			for _, k := range train.TopK(rows[i], *top) {
				fmt.Fprintf(e.stdout, "  %.4f  %s\n", rows[i][k], modelio.LabelName(labels, k))
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d images could not be read", failed, len(images))
	}
	return nil
}

// predictor runs images through a loaded model.
type predictor struct {
	l        *modelio.Loaded
	probsOut bool // the graph ends in a softmax
	rgb, tmp data.RGB
	z        data.Resizer
}

// classify decodes and preprocesses the images, runs them as one batch and
// returns each image's class probabilities; errs[i] is set for an image
// that could not be read (its row is nil).
func (p *predictor) classify(paths []string) (rows [][]float64, errs []error, err error) {
	pre := p.l.Preprocess
	n := len(paths)
	if p.l.InputBatch > 0 {
		if n > p.l.InputBatch {
			return nil, nil, fmt.Errorf("the model takes batches of %d", p.l.InputBatch)
		}
		n = p.l.InputBatch // pad with blank images
	}
	x := tensor.New(n, pre.Height, pre.Width, 3)
	errs = make([]error, len(paths))
	ok := 0
	for i, path := range paths {
		dst := x.Data[i*pre.Numel() : (i+1)*pre.Numel()]
		if err := data.DecodeFile(path, &p.rgb, data.DecodeOptions{}); err != nil {
			errs[i] = err
			continue
		}
		if err := pre.Apply(&p.z, &p.rgb, &p.tmp, dst); err != nil {
			errs[i] = fmt.Errorf("image %s: %w", path, err)
			continue
		}
		ok++
	}
	rows = make([][]float64, len(paths))
	if ok == 0 {
		return rows, errs, nil
	}
	outs, err := p.l.Graph.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", p.l.Source, err)
	}
	out := outs[0]
	if len(out.Shape) == 0 || out.Shape[0] != n || out.Size() == 0 {
		return nil, nil, fmt.Errorf("%s: output of shape %v for a batch of %d", p.l.Source, out.Shape, n)
	}
	classes := out.Size() / n
	for i := range paths {
		if errs[i] != nil {
			continue
		}
		raw := out.Data[i*classes : (i+1)*classes]
		rows[i] = train.Probabilities(raw, p.probsOut)
	}
	return rows, errs, nil
}
