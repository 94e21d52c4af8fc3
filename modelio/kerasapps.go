package modelio

import (
	"fmt"

	"github.com/graft-ml/graft/zoo/kerasapps"
)

// openKerasWeights loads a weight-only Keras .h5 file (save_weights's
// layout, as keras.applications' release files are) onto the
// keras.applications architecture its layer names and weight shapes match,
// with Keras's preprocessing for it and, with the 1000-class top, the
// ImageNet labels.
func openKerasWeights(path string) (*Loaded, error) {
	m, err := kerasapps.Load(path, kerasapps.Options{})
	if err != nil {
		return nil, fmt.Errorf("modelio: %w", err)
	}
	l := kerasAppsLoaded(m)
	l.Warnings = append(l.Warnings, "weight-only Keras file: built as "+m.Describe()+
		" from its layer names and weight shapes; the input size is the file name's or the architecture's default")
	return l, nil
}

// kerasAppsLoaded wraps a keras.applications model.
func kerasAppsLoaded(m *kerasapps.Model) *Loaded {
	return &Loaded{Graph: m.Graph, Preprocess: m.Preprocess, Labels: m.Labels, InputH: m.InputH, InputW: m.InputW, KerasApps: true}
}

// openZooKeras opens the zoo architecture name from its cached Keras
// release file p, which must hold that architecture.
func openZooKeras(name, p string) (*Loaded, error) {
	m, err := kerasapps.Load(p, kerasapps.Options{})
	if err != nil {
		return nil, fmt.Errorf("modelio: %s: cached weights: %w", name, err)
	}
	if m.Arch != name {
		return nil, fmt.Errorf("modelio: %s: cached weights %s hold Keras's %s, not %s", name, p, m.Keras, name)
	}
	l := kerasAppsLoaded(m)
	l.Format, l.Source = FormatZoo, name+" ("+p+")"
	return l, nil
}
