package modelio

import (
	"fmt"
	"strings"

	"github.com/graft-ml/graft/formats/safetensors"
	"github.com/graft-ml/graft/formats/torch"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
	"github.com/graft-ml/graft/zoo"
)

// openStateDict loads a PyTorch checkpoint or safetensors file and maps its
// tensors onto the zoo architecture opts.Arch.
func openStateDict(path string, format Format, opts Options) (*Loaded, error) {
	if opts.Arch == "" {
		return nil, fmt.Errorf("modelio: %s: a %s file holds only weights; name the architecture they belong to (one of %s)",
			path, format, strings.Join(zoo.Names(), ", "))
	}
	if _, ok := zoo.Lookup(opts.Arch); !ok {
		return nil, fmt.Errorf("modelio: %s: unknown architecture %q (have %s)", path, opts.Arch, strings.Join(zoo.Names(), ", "))
	}
	sd, err := readStateDict(path, format)
	if err != nil {
		return nil, err
	}
	m, err := buildWithStateDict(opts.Arch, opts.Classes, sd)
	if err != nil {
		return nil, fmt.Errorf("modelio: %s: %w", path, err)
	}
	return &Loaded{Graph: m.Graph, Preprocess: m.Preprocess, Labels: m.Labels, InputH: m.InputH, InputW: m.InputW}, nil
}

// readStateDict reads the tensors of a PyTorch or safetensors file by
// dotted name.
func readStateDict(path string, format Format) (map[string]*tensor.Tensor, error) {
	if format == FormatSafetensors {
		f, err := safetensors.Read(path)
		if err != nil {
			return nil, err
		}
		sd := make(map[string]*tensor.Tensor, len(f.Entries))
		for _, e := range f.Entries {
			sd[strings.TrimPrefix(e.Name, "module.")] = e.Tensor
		}
		return sd, nil
	}
	ck, err := torch.Load(path)
	if err != nil {
		return nil, err
	}
	return ck.StateDict(), nil
}

// buildWithStateDict builds arch with its classifier (of classes outputs;
// 0 reads the size from the state dict) and loads sd into it.
func buildWithStateDict(arch string, classes int, sd map[string]*tensor.Tensor) (*zoo.Model, error) {
	m, err := zoo.Build(arch, zoo.Options{IncludeTop: true, Classes: classes})
	if err != nil {
		return nil, err
	}
	if classes == 0 {
		if n := classifierSize(m.Graph, sd); n > 0 && n != 1000 {
			if m, err = zoo.Build(arch, zoo.Options{IncludeTop: true, Classes: n}); err != nil {
				return nil, err
			}
		}
	}
	if err := zoo.LoadTorchStateDict(m, sd); err != nil {
		return nil, err
	}
	return m, nil
}

// classifierSize reads the output size of the graph's last dense layer from
// the state dict (zoo node names are torchvision's module names), or 0.
func classifierSize(g *nn.Graph, sd map[string]*tensor.Tensor) int {
	nodes := g.Nodes()
	for i := len(nodes) - 1; i >= 0; i-- {
		l, _ := g.Layer(nodes[i])
		if _, ok := l.(*nn.Dense); !ok {
			continue
		}
		if w, ok := sd[nodes[i]+".weight"]; ok && len(w.Shape) == 2 {
			return w.Shape[0]
		}
		return 0
	}
	return 0
}
