package modelio

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Format names a model file format.
type Format string

// The formats Open understands.
const (
	FormatGraft       Format = "graft"       // Graft's own model file
	FormatONNX        Format = "onnx"        // ONNX ModelProto
	FormatTFLite      Format = "tflite"      // TensorFlow Lite flatbuffer
	FormatTFJS        Format = "tfjs"        // TensorFlow.js layers model (model.json + shards)
	FormatKerasH5     Format = "keras-h5"    // Keras HDF5 (.h5): whole model or weights only
	FormatKeras       Format = "keras"       // Keras 3 .keras zip
	FormatTorch       Format = "torch"       // PyTorch checkpoint (.pt, .pth)
	FormatSafetensors Format = "safetensors" // safetensors tensors
	FormatZoo         Format = "zoo"         // a zoo name with cached pretrained weights
)

// sniffLen is how much of a file Detect reads.
const sniffLen = 4096

var (
	hdf5Magic  = []byte("\x89HDF\r\n\x1a\n")
	zipMagic   = []byte("PK\x03\x04")
	graftMagic = []byte("GRAFTMDL")
	// torchLegacyMagic is the pickled magic number torch.save wrote
	// before the zip format (protocol 2, long 0x1950a86a20f9469cfc6c).
	torchLegacyMagic = []byte("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19")
)

// Detect reports the format of the model at p, a file or a folder holding
// a TF.js model.json. It reads the content; the name only breaks ties (an
// ONNX file has no magic bytes, so a protobuf-looking file is ONNX).
func Detect(p string) (Format, error) {
	st, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("modelio: %w", err)
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(p, "model.json")); err != nil {
			return "", fmt.Errorf("modelio: %s is a folder without model.json", p)
		}
		return FormatTFJS, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("modelio: %w", err)
	}
	defer f.Close()
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", fmt.Errorf("modelio: reading %s: %w", p, err)
	}
	head = head[:n]
	if n == 0 {
		return "", fmt.Errorf("modelio: %s is empty", p)
	}
	format, err := sniff(head, f, st.Size(), p)
	if err != nil {
		return "", err
	}
	return format, nil
}

// sniff decides the format from the first bytes (head), reading more of the
// file through r when a zip's entries must be listed.
func sniff(head []byte, r io.ReaderAt, size int64, name string) (Format, error) {
	switch {
	case bytes.HasPrefix(head, graftMagic):
		return FormatGraft, nil
	case len(head) >= 8 && string(head[4:8]) == "TFL3":
		return FormatTFLite, nil
	case isHDF5(head, r):
		return FormatKerasH5, nil
	case bytes.HasPrefix(head, zipMagic):
		return sniffZip(r, size, name)
	case bytes.HasPrefix(head, torchLegacyMagic):
		return FormatTorch, nil
	case isSafetensors(head, size):
		return FormatSafetensors, nil
	case isTFJSJSON(head, r, size):
		return FormatTFJS, nil
	case isONNX(head, name):
		return FormatONNX, nil
	}
	return "", fmt.Errorf("modelio: %s: unrecognised model format (not a Graft, ONNX, TFLite, TF.js, Keras, PyTorch or safetensors file)", name)
}

// isHDF5 looks for the HDF5 signature at 0, 512, 1024, ... as the HDF5
// specification allows a user block before it.
func isHDF5(head []byte, r io.ReaderAt) bool {
	if bytes.HasPrefix(head, hdf5Magic) {
		return true
	}
	buf := make([]byte, len(hdf5Magic))
	for off := int64(512); off <= 1<<16; off *= 2 {
		if _, err := r.ReadAt(buf, off); err != nil {
			return false
		}
		if bytes.Equal(buf, hdf5Magic) {
			return true
		}
	}
	return false
}

// sniffZip tells a Keras 3 .keras archive (config.json + model.weights.h5)
// from a PyTorch checkpoint (a folder holding data.pkl).
func sniffZip(r io.ReaderAt, size int64, name string) (Format, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return "", fmt.Errorf("modelio: %s: broken zip archive: %w", name, err)
	}
	hasConfig := false
	for _, f := range zr.File {
		if path.Base(f.Name) == "data.pkl" {
			return FormatTorch, nil
		}
		if f.Name == "config.json" {
			hasConfig = true
		}
	}
	if hasConfig {
		return FormatKeras, nil
	}
	return "", fmt.Errorf("modelio: %s: zip archive is neither a PyTorch checkpoint (no data.pkl) nor a .keras model (no config.json)", name)
}

// isSafetensors checks for the 8-byte header length followed by a JSON
// object that fits in the file.
func isSafetensors(head []byte, size int64) bool {
	if len(head) < 10 {
		return false
	}
	n := binary.LittleEndian.Uint64(head[:8])
	if n < 2 || n > uint64(size-8) {
		return false
	}
	return head[8] == '{'
}

// isTFJSJSON reports whether the file is JSON with the keys of a TF.js
// layers model.
func isTFJSJSON(head []byte, r io.ReaderAt, size int64) bool {
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	const maxJSON = 64 << 20
	if size > maxJSON {
		return false
	}
	all := make([]byte, size)
	if _, err := r.ReadAt(all, 0); err != nil && err != io.EOF {
		return false
	}
	var probe struct {
		ModelTopology   json.RawMessage `json:"modelTopology"`
		WeightsManifest json.RawMessage `json:"weightsManifest"`
	}
	if json.Unmarshal(all, &probe) != nil {
		return false
	}
	return probe.ModelTopology != nil
}

// isONNX checks that the file starts like an ONNX ModelProto: a small
// varint ir_version (field 1) or, failing that, another ModelProto field
// with a .onnx name.
func isONNX(head []byte, name string) bool {
	if len(head) >= 2 && head[0] == 0x08 && head[1] > 0 && head[1] < 0x20 {
		return true
	}
	return strings.EqualFold(filepath.Ext(name), ".onnx")
}
