//go:build ignore

// Command fuzzcorpus writes the committed seed corpora of the fuzz targets
// whose seeds otherwise lived only in f.Add calls: formats/graftfile,
// formats/onnx and formats/torch FuzzDecode. Each gets its package's
// fixtures whole, truncated and with a flipped bit. Run from the
// repository root:
//
//	go run scripts/fuzzcorpus.go
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/formats/graftfile"
	"github.com/graft-ml/graft/nn"
)

func main() {
	log.SetFlags(0)
	write("formats/graftfile", "FuzzDecode", "conv_dense", graftModel())
	write("formats/onnx", "FuzzDecode", "smallnet", read("formats/onnx/testdata/smallnet.onnx"))
	for _, f := range []string{"state_dict.pt", "legacy.pth", "wrapped.pth", "evil.pt"} {
		write("formats/torch", "FuzzDecode", filepath.Base(f), read("formats/torch/testdata/"+f))
	}
}

// write stores b, its first half and b with one bit flipped in the middle
// as seeds of target in pkg.
func write(pkg, target, name string, b []byte) {
	dir := filepath.Join(pkg, "testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	flipped := append([]byte(nil), b...)
	flipped[len(flipped)/2] ^= 0x04
	for suffix, v := range map[string][]byte{"": b, "_truncated": b[:len(b)/2], "_bitflip": flipped} {
		seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", v)
		if err := os.WriteFile(filepath.Join(dir, name+suffix), []byte(seed), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func read(p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// graftModel encodes a small convolution + dense classifier with labels,
// preprocessing, metadata and an optimizer blob.
func graftModel() []byte {
	g := nn.NewGraph()
	must(g.Input("image"))
	conv, err := nn.NewConv2D("conv", nn.Conv2DConfig{InChannels: 3, Filters: 4, KernelH: 3, KernelW: 3, Padding: nn.PadSame(), Seed: 1})
	must(err)
	dense, err := nn.NewDense("fc", nn.DenseConfig{In: 4, Out: 2, Seed: 2})
	must(err)
	must(g.Add("conv", conv, "image"))
	must(g.Add("relu", nn.NewReLU("relu"), "conv"))
	must(g.Add("pool", nn.NewGlobalAvgPool("pool", false), "relu"))
	must(g.Add("fc", dense, "pool"))
	var buf bytes.Buffer
	must(graftfile.Encode(&buf, &graftfile.Model{Graph: g, Labels: []string{"cat", "dog"},
		Preprocess: data.Preprocess{Height: 8, Width: 8, Resize: data.ResizeSquash, Scale: data.ScaleSymmetric},
		Meta:       map[string]any{"epoch": 3}, Blobs: map[string][]byte{"optimizer": []byte("state")}}))
	return buf.Bytes()
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
