package modelio

import (
	"fmt"
	"strings"

	"github.com/graft-ml/graft/formats/safetensors"
	"github.com/graft-ml/graft/formats/torch"
	"github.com/graft-ml/graft/tensor"
	"github.com/graft-ml/graft/zoo"
)

// openStateDict loads a PyTorch checkpoint or safetensors file and maps its
// tensors onto the zoo architecture opts.Arch, a zoo name or a timm model
// name that zoo.TimmArch knows (such as mobilenetv2_050).
func openStateDict(path string, format Format, opts Options) (*Loaded, error) {
	if opts.Arch == "" {
		return nil, fmt.Errorf("modelio: %s: a %s file holds only weights; name the architecture they belong to (one of %s)",
			path, format, strings.Join(zoo.Names(), ", "))
	}
	if _, _, ok := resolveArch(opts.Arch); !ok {
		return nil, fmt.Errorf("modelio: %s: unknown architecture %q (have %s, or timm's names for them such as mobilenetv2_050)",
			path, opts.Arch, strings.Join(zoo.Names(), ", "))
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

// resolveArch returns the zoo architecture and width multiplier of a zoo
// name or a timm model name.
func resolveArch(name string) (arch string, width float64, ok bool) {
	if spec, ok := zoo.Lookup(name); ok {
		return spec.Name, 0, true
	}
	return zoo.TimmArch(name)
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

// buildWithStateDict builds arch (a zoo or timm name) with its classifier
// (of classes outputs; 0 reads the size from the state dict) and loads sd
// into it with torchvision's or timm's names, whichever sd uses.
func buildWithStateDict(arch string, classes int, sd map[string]*tensor.Tensor) (*zoo.Model, error) {
	name, width, ok := resolveArch(arch)
	if !ok {
		return nil, fmt.Errorf("unknown architecture %q", arch)
	}
	opt := zoo.Options{IncludeTop: true, Classes: classes, Width: width}
	m, err := zoo.Build(name, opt)
	if err != nil {
		return nil, err
	}
	if classes == 0 {
		if n := zoo.StateDictClasses(m, sd); n > 0 && n != 1000 {
			opt.Classes = n
			if m, err = zoo.Build(name, opt); err != nil {
				return nil, err
			}
		}
	}
	if err := zoo.LoadStateDict(m, sd); err != nil {
		return nil, err
	}
	return m, nil
}
