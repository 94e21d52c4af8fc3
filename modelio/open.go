package modelio

import (
	"fmt"
	"os"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/zoo"
)

// Options tune Open.
type Options struct {
	// Arch is the zoo architecture (see zoo.Names) a PyTorch checkpoint or
	// safetensors file is mapped onto; those formats hold only tensors, so
	// Open refuses them without it.
	Arch string
	// Classes is the classifier size Arch is built with; 0 reads it from
	// the weights (the last classifier layer), falling back to 1000.
	Classes int
	// Preprocess, when set, replaces the preprocessing the file carries or
	// the format's default; a zero Height and Width take the model's input
	// size.
	Preprocess *data.Preprocess
	// CacheDir is where a zoo name's pulled weights are looked for; ""
	// means fetch.DefaultCacheDir().
	CacheDir string
	// Source picks a zoo name's weights by publisher, "torchvision" or
	// "keras"; "" takes the first cached file in the zoo's order.
	Source string
}

// Loaded is an opened model, ready to run.
type Loaded struct {
	// Graph runs the model on NHWC float32 input.
	Graph *nn.Graph
	// Preprocess turns an image into the graph's input.
	Preprocess data.Preprocess
	// Labels are the class names, or nil when none are known; LabelsFrom
	// says where they came from ("the file", or the labels.txt found
	// beside the model).
	Labels     []string
	LabelsFrom string
	// Format is the detected format.
	Format Format
	// Source is what was opened: the path, or for a zoo name the name and
	// the cached weights file.
	Source string
	// InputH and InputW are the input size the model takes; InputBatch is
	// the batch size the file fixes, or 0 when any batch works.
	InputH, InputW, InputBatch int
	// Meta is the training metadata of a Graft file (nil otherwise).
	Meta map[string]any
	// KerasApps is set when the graph is keras.applications' flavour of a
	// zoo architecture, built for a weight-only Keras file (its layer names
	// are Keras's, not the zoo's).
	KerasApps bool
	// Warnings list the assumptions Open made, such as preprocessing
	// guessed for a format that does not record it.
	Warnings []string
	// Summary describes the model: format, input, preprocessing, and every
	// layer with its output shape and parameter counts (it runs one forward
	// pass on a blank input to learn the shapes).
	Summary func() (string, error)

	// guess, when not empty, says the preprocessing is a format default,
	// not read from the file; it becomes a warning unless the caller
	// gives the preprocessing.
	guess string
}

// Open loads the model at path, whose format is detected from its content
// (see Detect). A path that does not exist but names a zoo architecture
// opens that architecture with its pretrained weights from the cache
// (downloaded by Pull, or `graft models pull`). Errors name the file.
func Open(path string, opts Options) (*Loaded, error) {
	if _, err := os.Stat(path); err != nil {
		if _, ok := zoo.Lookup(path); ok {
			l, err := openZoo(path, opts)
			if err != nil {
				return nil, err
			}
			if l.Labels != nil {
				l.LabelsFrom = "the zoo (ImageNet)"
			}
			return finish(l, opts)
		}
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("modelio: %s: no such file, and not a zoo model name (see `graft models`)", path)
		}
		return nil, fmt.Errorf("modelio: %w", err)
	}
	format, err := Detect(path)
	if err != nil {
		return nil, err
	}
	var l *Loaded
	switch format {
	case FormatGraft:
		l, err = openGraft(path)
	case FormatTFLite:
		l, err = openTFLite(path)
	case FormatONNX:
		l, err = openONNX(path)
	case FormatTFJS:
		l, err = openTFJS(path)
	case FormatKerasH5, FormatKeras:
		l, err = openKeras(path, format)
	case FormatTorch, FormatSafetensors:
		l, err = openStateDict(path, format, opts)
	default:
		err = fmt.Errorf("modelio: %s: format %s cannot be opened", path, format)
	}
	if err != nil {
		return nil, err
	}
	l.Format = format
	if l.Source == "" {
		l.Source = path
	}
	if l.Labels != nil {
		l.LabelsFrom = "the file"
	} else if err := sidecarLabels(l, path); err != nil {
		return nil, err
	}
	return finish(l, opts)
}

// finish applies the caller's preprocessing, checks it, and attaches the
// summary.
func finish(l *Loaded, opts Options) (*Loaded, error) {
	if opts.Preprocess != nil {
		l.Preprocess = *opts.Preprocess
		if l.Preprocess.Height == 0 && l.Preprocess.Width == 0 {
			l.Preprocess.Height, l.Preprocess.Width = l.InputH, l.InputW
		}
		l.guess = ""
	} else if l.guess != "" {
		l.Warnings = append(l.Warnings, l.guess)
	}
	if err := l.Preprocess.Validate(); err != nil {
		return nil, fmt.Errorf("modelio: %s: %w", l.Source, err)
	}
	if l.InputH <= 0 || l.InputW <= 0 {
		l.InputH, l.InputW = l.Preprocess.Height, l.Preprocess.Width
	}
	if l.Preprocess.Height != l.InputH || l.Preprocess.Width != l.InputW {
		return nil, fmt.Errorf("modelio: %s: preprocessing makes %dx%d images but the model takes %dx%d",
			l.Source, l.Preprocess.Height, l.Preprocess.Width, l.InputH, l.InputW)
	}
	l.Summary = func() (string, error) { return summarize(l) }
	return l, nil
}
