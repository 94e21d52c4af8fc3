package keras

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Load reads a Keras model, choosing the format from the path: a directory
// or a .json file is a TF.js layers model, .h5/.hdf5 a whole-model HDF5
// file, and .keras a Keras 3 zip.
func Load(path string) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("keras: %w", err)
	}
	if st.IsDir() {
		return LoadTFJSFile(path)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return LoadTFJSFile(path)
	case ".h5", ".hdf5":
		return LoadH5(path)
	case ".keras":
		return LoadKeras(path)
	}
	return nil, fmt.Errorf("keras: %s: unknown extension (want a TF.js directory or model.json, .h5, or .keras)", path)
}
