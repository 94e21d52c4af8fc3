package modelio

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/graft-ml/graft/formats/keras"
	"github.com/graft-ml/graft/zoo/kerasapps"
)

// openTFJS loads a TensorFlow.js layers model from its model.json or the
// folder holding it. TF.js files do not record preprocessing; [0, 1]
// scaling is assumed.
func openTFJS(path string) (*Loaded, error) {
	p := path
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		p = filepath.Join(path, "model.json")
	}
	m, err := keras.LoadTFJSFile(p)
	if err != nil {
		return nil, err
	}
	return fromKeras(path, FormatTFJS, m)
}

// openKeras loads a whole Keras model from an .h5 or .keras file. Keras
// files do not record preprocessing; [0, 1] scaling is assumed. A
// weight-only .h5 goes to openKerasWeights.
func openKeras(path string, format Format) (*Loaded, error) {
	var m *keras.Model
	var err error
	if format == FormatKeras {
		m, err = keras.LoadKeras(path)
	} else if weightsOnly, werr := kerasapps.WeightsOnly(path); werr == nil && weightsOnly {
		return openKerasWeights(path)
	} else {
		m, err = keras.LoadH5(path)
	}
	if err != nil {
		return nil, err
	}
	return fromKeras(path, format, m)
}

// fromKeras wraps an imported Keras model; its input size comes from the
// config (224 where the config leaves it open).
func fromKeras(path string, format Format, m *keras.Model) (*Loaded, error) {
	s := m.InputShape
	if len(s) != 3 || (s[2] != 3 && s[2] > 0) {
		return nil, fmt.Errorf("modelio: %s: input %s has shape %v per example, not an RGB image [H, W, 3]", path, m.InputName, s)
	}
	l := &Loaded{Graph: m.Graph, InputH: defaultSize, InputW: defaultSize}
	if s[0] > 0 && s[1] > 0 {
		l.InputH, l.InputW = s[0], s[1]
	}
	l.Preprocess = unitPreprocess(l.InputH, l.InputW)
	l.guess = guessWarning(format, l.Preprocess)
	return l, nil
}
