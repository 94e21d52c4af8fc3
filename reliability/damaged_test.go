package reliability

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/formats/graftfile"
	"github.com/graft-ml/graft/formats/hdf5"
	"github.com/graft-ml/graft/formats/keras"
	"github.com/graft-ml/graft/formats/onnx"
	"github.com/graft-ml/graft/formats/safetensors"
	"github.com/graft-ml/graft/formats/tflite"
	"github.com/graft-ml/graft/formats/torch"
)

// damageCase is one file format: a good file and the loader to try.
type damageCase struct {
	name string
	file []byte
	ext  string
	load func(path string) error
}

// TestDamagedFilesNeverPanic loads, for every file format Graft reads, a
// good file cut at eight points (to nothing included) and with single bits
// flipped at 24 seeded places. A truncated file must be refused with an
// error; a bit-flipped one must be refused or load whole; nothing may
// panic.
func TestDamagedFilesNeverPanic(t *testing.T) {
	rd := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	graftBytes := rd(writeBase(t, 4))
	cases := []damageCase{
		{"graft", graftBytes, ".graft", func(p string) error { _, err := graftfile.Load(p); return err }},
		{"safetensors", rd("../formats/safetensors/testdata/python.safetensors"), ".safetensors",
			func(p string) error { _, err := safetensors.Read(p); return err }},
		{"PyTorch zip", rd("../formats/torch/testdata/state_dict.pt"), ".pt", func(p string) error { _, err := torch.Load(p); return err }},
		{"PyTorch legacy pickle", rd("../formats/torch/testdata/legacy.pth"), ".pth", func(p string) error { _, err := torch.Load(p); return err }},
		{"ONNX", rd("../formats/onnx/testdata/smallnet.onnx"), ".onnx", func(p string) error { _, err := onnx.Load(p); return err }},
		{"TFLite", fuzzCorpusBytes(t, "../formats/tflite/testdata/fuzz/FuzzParse/synth_conv"), ".tflite",
			func(p string) error { _, err := tflite.Load(p); return err }},
		{"HDF5", rd("../formats/hdf5/testdata/weights_v108.h5"), ".h5", readAllHDF5},
		{"Keras .h5", rd("../formats/keras/testdata/tiny_k2.h5"), ".h5", func(p string) error { _, err := keras.LoadH5(p); return err }},
		{"Keras .keras", rd("../formats/keras/testdata/tiny_k3.keras"), ".keras", func(p string) error { _, err := keras.LoadKeras(p); return err }},
		{"TF.js shard", rd("../formats/keras/testdata/tiny_tfjs/group1-shard2of2.bin"), "", loadTFJSWithShard(t)},
		{"IDX", smallIDX(), "", func(p string) error { _, err := data.ReadIDXFile(p); return err }},
	}
	for _, img := range []string{"rgb.png", "jpeg.jpg", "palette.gif", "bmp.bmp", "tiff.tiff", "webp.webp"} {
		cases = append(cases, damageCase{"image " + img, rd("../data/testdata/decode/" + img), filepath.Ext(img),
			func(p string) error { return data.DecodeFile(p, data.NewRGB(1, 1), data.DecodeOptions{}) }})
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := tryLoad(c, filepath.Join(dir, "good"+c.ext), c.file); err != nil {
				t.Fatalf("the undamaged file does not load: %v", err)
			}
			for k := 0; k < 8; k++ {
				n := len(c.file) * k / 8
				if err := tryLoad(c, filepath.Join(dir, fmt.Sprintf("cut%d%s", k, c.ext)), c.file[:n]); err == nil {
					t.Errorf("cut to %d of %d bytes: loaded without error", n, len(c.file))
				} else if _, ok := err.(panicError); ok {
					t.Errorf("cut to %d of %d bytes: %v", n, len(c.file), err)
				}
			}
			rng := rand.New(rand.NewPCG(uint64(len(c.file)), 3))
			refused := 0
			for i := 0; i < 24; i++ {
				b := append([]byte(nil), c.file...)
				pos, bit := rng.IntN(len(b)), rng.IntN(8)
				b[pos] ^= 1 << bit
				err := tryLoad(c, filepath.Join(dir, fmt.Sprintf("flip%d%s", i, c.ext)), b)
				if _, ok := err.(panicError); ok {
					t.Errorf("bit %d of byte %d flipped: %v", bit, pos, err)
				}
				if err != nil {
					refused++
				}
			}
			t.Logf("%d of 24 bit flips refused, the rest loaded whole", refused)
		})
	}
}

// panicError is a panic recovered from a loader.
type panicError struct{ v any }

func (p panicError) Error() string { return fmt.Sprintf("panic: %v", p.v) }

// tryLoad writes b to path and loads it, turning a panic into panicError.
func tryLoad(c damageCase, path string, b []byte) (err error) {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	defer func() {
		if v := recover(); v != nil {
			err = panicError{v}
		}
	}()
	return c.load(path)
}

// readAllHDF5 opens an HDF5 file and reads every dataset in it as float32.
func readAllHDF5(p string) error {
	f, err := hdf5.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	root, err := f.Root()
	if err != nil {
		return err
	}
	return root.Walk(func(o hdf5.Object) error {
		if ds, ok := o.(*hdf5.Dataset); ok {
			_, err := ds.ReadFloat32()
			return err
		}
		return nil
	})
}

// loadTFJSWithShard returns a loader that puts the file it is given as the
// second weight shard of formats/keras's tiny TF.js model and loads it.
func loadTFJSWithShard(t *testing.T) func(string) error {
	dir := filepath.Join(t.TempDir(), "tfjs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"model.json", "group1-shard1of2.bin"} {
		b, err := os.ReadFile("../formats/keras/testdata/tiny_tfjs/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return func(p string) error {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "group1-shard2of2.bin"), b, 0o644); err != nil {
			return err
		}
		_, err = keras.LoadTFJSFile(filepath.Join(dir, "model.json"))
		return err
	}
}

// smallIDX is an IDX file of 10 4x4 float32 images.
func smallIDX() []byte {
	b := []byte{0, 0, 0x0d, 3}
	for _, d := range []uint32{10, 4, 4} {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	for i := 0; i < 160; i++ {
		b = binary.BigEndian.AppendUint32(b, uint32(i)*0x01000193)
	}
	return b
}
