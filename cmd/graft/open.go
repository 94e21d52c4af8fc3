package main

import (
	"fmt"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/modelio"
)

// modelFlags are the flags every command that opens a model shares.
type modelFlags struct {
	arch       *string
	classes    *int
	cache      *string
	preprocess *string
	cmd        string
}

// addModelFlags declares the model-opening flags on fs.
func addModelFlags(fs *helpedFlagSet) modelFlags {
	return modelFlags{
		cmd:     fs.cmd,
		arch:    fs.String("arch", "", "zoo architecture for a PyTorch .pth/.pt or safetensors file (see 'graft models')"),
		classes: fs.Int("classes", 0, "classifier size for --arch (default: read from the weights)"),
		cache:   fs.String("cache", "", "weights cache folder, for zoo names (default $GRAFT_CACHE or the user cache folder's graft/models)"),
		preprocess: fs.String("preprocess", "", "replace the model's preprocessing: "+preprocessNames+
			" (default: the file's, or the format's usual one)"),
	}
}

// open opens the model at path; with warn, its warnings go to stderr.
func (f modelFlags) open(e *env, path string, warn bool) (*modelio.Loaded, error) {
	opts := modelio.Options{Arch: *f.arch, Classes: *f.classes, CacheDir: *f.cache}
	if *f.preprocess != "" {
		p, err := namedPreprocess(f.cmd, *f.preprocess)
		if err != nil {
			return nil, err
		}
		opts.Preprocess = &p
	}
	l, err := modelio.Open(path, opts)
	if err != nil {
		return nil, err
	}
	if warn {
		for _, w := range l.Warnings {
			fmt.Fprintf(e.stderr, "graft: warning: %s (use --preprocess to choose)\n", w)
		}
	}
	return l, nil
}

// preprocessNames lists --preprocess's choices.
const preprocessNames = "torchvision, keras-tf, keras-caffe, unit, symmetric"

// namedPreprocess returns a preprocessing by name, with a zero size that
// modelio.Open fills with the model's input size.
func namedPreprocess(cmd, name string) (data.Preprocess, error) {
	switch name {
	case "torchvision":
		return data.TorchvisionPreprocess(0), nil
	case "keras-tf":
		return data.KerasTFPreprocess(0), nil
	case "keras-caffe":
		return data.KerasCaffePreprocess(0), nil
	case "unit":
		return data.Preprocess{Resize: data.ResizeCenterSquare, Scale: data.ScaleUnit}, nil
	case "symmetric":
		return data.Preprocess{Resize: data.ResizeCenterSquare, Scale: data.ScaleSymmetric}, nil
	}
	return data.Preprocess{}, usagef(cmd, "--preprocess %q: want one of %s", name, preprocessNames)
}
