package modelio

import (
	"github.com/graft-ml/graft/formats/graftfile"
)

// openGraft loads a Graft file, which carries its preprocessing, labels and
// metadata.
func openGraft(path string) (*Loaded, error) {
	m, err := graftfile.Load(path)
	if err != nil {
		return nil, err
	}
	return &Loaded{
		Graph:      m.Graph,
		Preprocess: m.Preprocess,
		Labels:     m.Labels,
		Meta:       m.Meta,
		InputH:     m.Preprocess.Height,
		InputW:     m.Preprocess.Width,
	}, nil
}
