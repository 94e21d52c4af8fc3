package keras

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
)

// maxZipEntry bounds the size of one .keras member read into memory.
const maxZipEntry = 1 << 32

// LoadKeras loads a Keras 3 .keras file: a zip of config.json,
// metadata.json and model.weights.h5.
func LoadKeras(path string) (*Model, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("keras: %s: %w", path, err)
	}
	defer zr.Close()
	m, err := loadKerasZip(&zr.Reader, path)
	if err != nil {
		return nil, fmt.Errorf("keras: %w", err)
	}
	return m, nil
}

// LoadKerasReader is LoadKeras reading the zip from r; name labels errors.
func LoadKerasReader(r io.ReaderAt, size int64, name string) (*Model, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("keras: %s: %w", name, err)
	}
	m, err := loadKerasZip(zr, name)
	if err != nil {
		return nil, fmt.Errorf("keras: %w", err)
	}
	return m, nil
}

func loadKerasZip(zr *zip.Reader, name string) (*Model, error) {
	config, err := zipMember(zr, "config.json", name)
	if err != nil {
		return nil, err
	}
	var meta struct {
		KerasVersion string `json:"keras_version"`
	}
	if b, err := zipMember(zr, "metadata.json", name); err == nil {
		if err := json.Unmarshal(b, &meta); err != nil {
			return nil, fmt.Errorf("%s: metadata.json: %w", name, err)
		}
	}
	if meta.KerasVersion == "" {
		meta.KerasVersion = "3"
	}
	m, err := fromConfig(config, meta.KerasVersion)
	if err != nil {
		return nil, fmt.Errorf("%s: config.json: %w", name, err)
	}
	m.Format = "keras"
	weights, err := zipMember(zr, "model.weights.h5", name)
	if err != nil {
		return nil, err
	}
	wname := name + ":model.weights.h5"
	f, err := openH5(weights, wname)
	if err != nil {
		return nil, err
	}
	if err := loadWeightsH5(m, f, wname); err != nil {
		return nil, err
	}
	return m, nil
}

// zipMember reads one member of the zip.
func zipMember(zr *zip.Reader, member, name string) ([]byte, error) {
	for _, f := range zr.File {
		if f.Name != member {
			continue
		}
		if f.UncompressedSize64 > maxZipEntry {
			return nil, fmt.Errorf("%s: %s: %d bytes is too large", name, member, f.UncompressedSize64)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, member, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, member, err)
		}
		if uint64(len(b)) != f.UncompressedSize64 {
			return nil, fmt.Errorf("%s: %s: %d bytes, the directory says %d", name, member, len(b), f.UncompressedSize64)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%s: no %s in the archive", name, member)
}
