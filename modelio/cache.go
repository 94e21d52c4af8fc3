package modelio

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/graft-ml/graft/fetch"
	"github.com/graft-ml/graft/formats/torch"
	"github.com/graft-ml/graft/zoo"
)

// CacheDir returns dir, or the default cache folder when dir is empty.
func CacheDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	return fetch.DefaultCacheDir()
}

// CachedPath returns where src's file lives in the cache folder dir and
// whether it is there (a complete download; partial ones are not counted).
func CachedPath(dir string, src zoo.WeightSource) (string, bool) {
	p := filepath.Join(dir, src.File)
	st, err := os.Stat(p)
	return p, err == nil && st.Mode().IsRegular()
}

// openZoo opens the zoo architecture name with pretrained weights from the
// cache: the first cached source, restricted to opts.Source when set.
func openZoo(name string, opts Options) (*Loaded, error) {
	spec, _ := zoo.Lookup(name)
	dir, err := CacheDir(opts.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("modelio: %s: %w", name, err)
	}
	var kerasOnly string
	for _, src := range spec.Sources {
		if opts.Source != "" && src.Format != opts.Source {
			continue
		}
		p, ok := CachedPath(dir, src)
		if !ok {
			continue
		}
		if src.Format != "torchvision" {
			kerasOnly = p
			continue
		}
		ck, err := torch.Load(p)
		if err != nil {
			return nil, fmt.Errorf("modelio: %s: cached weights: %w", name, err)
		}
		m, err := buildWithStateDict(spec.Name, 0, ck.StateDict())
		if err != nil {
			return nil, fmt.Errorf("modelio: %s: cached weights %s: %w", name, p, err)
		}
		return &Loaded{Graph: m.Graph, Preprocess: m.Preprocess, Labels: m.Labels, InputH: m.InputH, InputW: m.InputW,
			Format: FormatZoo, Source: spec.Name + " (" + p + ")"}, nil
	}
	if kerasOnly != "" {
		return openZooKeras(spec.Name, kerasOnly)
	}
	var formats []string
	for _, src := range spec.Sources {
		formats = append(formats, src.Format)
	}
	if len(spec.Sources) == 0 {
		return nil, fmt.Errorf("modelio: %s: the zoo knows no pretrained weights for it", name)
	}
	return nil, fmt.Errorf("modelio: %s: no pretrained weights in the cache %s; run `graft models pull %s` first (sources: %s)",
		name, dir, spec.Name, strings.Join(dedupe(formats), ", "))
}

func dedupe(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
