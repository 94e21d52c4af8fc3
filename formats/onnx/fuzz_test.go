package onnx

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// fuzzSeeds are the committed models FuzzConvert starts from (besides its
// corpus in testdata/fuzz/FuzzConvert, written by testdata/gen_fuzz_corpus.py).
var fuzzSeeds = []string{"smallnet.onnx", "opsnet.onnx", "opsnet_opset10.onnx"}

// FuzzConvert decodes and converts arbitrary bytes; when a graph comes out
// whose static shapes are all small, it also runs it. Nothing may panic.
func FuzzConvert(f *testing.F) {
	for _, name := range fuzzSeeds {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, "fuzz.onnx")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.onnx") {
				t.Fatalf("decode error does not name the file: %v", err)
			}
			return
		}
		net, err := Convert(m)
		if err != nil {
			return
		}
		x := smallInput(net.InputDims)
		if x == nil || net.largest < 0 || net.largest > 1<<16 {
			return
		}
		net.Graph.Forward([]*tensor.Tensor{x}, false)
	})
}

// smallInput returns an NHWC input for NCHW dims (-1 read as 1) if it is
// small enough to run in a fuzz iteration, else nil.
func smallInput(dims []int64) *tensor.Tensor {
	if len(dims) != 4 && len(dims) != 2 {
		return nil
	}
	shape := make([]int, len(dims))
	total := 1
	for i, d := range dims {
		if d < 0 {
			d = 1
		}
		if d == 0 || d > 64 {
			return nil
		}
		shape[i] = int(d)
		total *= int(d)
	}
	if total > 1<<14 {
		return nil
	}
	if len(shape) == 4 {
		shape = []int{shape[0], shape[2], shape[3], shape[1]}
	}
	return ramp(shape...)
}

// TestLoadCorruptFiles feeds truncated and bit-flipped copies of the
// fixtures through Load: every failure must name the file, and nothing
// may panic.
func TestLoadCorruptFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range fuzzSeeds {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		check := func(kind string, b []byte) {
			file := filepath.Join(dir, kind+"-"+name)
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(file)
			if err != nil && !strings.Contains(err.Error(), file) {
				t.Fatalf("error does not name %s: %v", file, err)
			}
		}
		for cut := 0; cut < len(data); cut += 97 {
			check("cut", data[:cut])
		}
		for i := 0; i < len(data); i += 61 {
			b := append([]byte(nil), data...)
			b[i] ^= 0x5a
			check("flip", b)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.onnx")); err == nil || !strings.Contains(err.Error(), "missing.onnx") {
		t.Fatalf("missing file: err = %v", err)
	}
}

// TestConvertMutatedModels is a deterministic stand-in for fuzzing: it
// decodes, converts and (when small) runs thousands of randomly corrupted
// copies of the fixtures; nothing may panic or allocate without bound.
func TestConvertMutatedModels(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	iterations := 1500
	if testing.Short() {
		iterations = 300
	}
	for _, name := range fuzzSeeds {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		converted := 0
		for range iterations {
			b := append([]byte(nil), data...)
			for range 1 + r.IntN(8) {
				switch i := r.IntN(len(b) - 4); r.IntN(3) {
				case 0:
					b[i] ^= byte(1 << r.IntN(8))
				case 1:
					b[i] = byte(r.IntN(256))
				case 2:
					copy(b[i:], []byte{0xff, 0xff, 0xff, 0x7f}) // a huge varint or length
				}
			}
			m, err := Decode(b, "mutated.onnx")
			if err != nil {
				continue
			}
			net, err := Convert(m)
			if err != nil {
				continue
			}
			converted++
			if x := smallInput(net.InputDims); x != nil && net.largest >= 0 && net.largest <= 1<<16 {
				net.Graph.Forward([]*tensor.Tensor{x}, false)
			}
		}
		t.Logf("%s: %d of %d mutants converted", name, converted, iterations)
	}
}

// TestConvertMutatedGraphs corrupts decoded models structurally (attribute
// values, initializer shapes, operator types, wiring), which reaches the
// converter's checks far more often than corrupt bytes do.
func TestConvertMutatedGraphs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	iterations := 1500
	if testing.Short() {
		iterations = 300
	}
	odd := []int64{-1, 0, 1, 2, 3, 7, 1 << 20, -1 << 40}
	for _, name := range fuzzSeeds {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for range iterations {
			m, err := Decode(data, name)
			if err != nil {
				t.Fatal(err)
			}
			g := &m.Graph
			for range 1 + r.IntN(3) {
				nd := &g.Nodes[r.IntN(len(g.Nodes))]
				switch r.IntN(6) {
				case 0:
					if len(nd.Attrs) > 0 {
						a := &nd.Attrs[r.IntN(len(nd.Attrs))]
						a.I = odd[r.IntN(len(odd))]
						a.F = float32(odd[r.IntN(len(odd))])
						for i := range a.Ints {
							if r.IntN(2) == 0 {
								a.Ints[i] = odd[r.IntN(len(odd))]
							}
						}
						if r.IntN(4) == 0 && len(a.Ints) > 0 {
							a.Ints = a.Ints[:r.IntN(len(a.Ints))]
						}
					}
				case 1:
					in := &g.Initializers[r.IntN(len(g.Initializers))]
					if len(in.Dims) > 0 {
						in.Dims[r.IntN(len(in.Dims))] = odd[r.IntN(len(odd))]
					}
				case 2:
					other := g.Nodes[r.IntN(len(g.Nodes))]
					nd.OpType = other.OpType
				case 3:
					if len(nd.Inputs) > 0 {
						nd.Inputs = nd.Inputs[:r.IntN(len(nd.Inputs))]
					}
				case 4:
					if len(nd.Inputs) > 0 {
						other := g.Nodes[r.IntN(len(g.Nodes))]
						nd.Inputs[r.IntN(len(nd.Inputs))] = other.Outputs[0]
					}
				case 5:
					if len(g.Inputs[0].Dims) > 0 {
						g.Inputs[0].Dims[r.IntN(len(g.Inputs[0].Dims))] = odd[r.IntN(4)]
					}
				}
			}
			net, err := Convert(m)
			if err != nil {
				continue
			}
			if x := smallInput(net.InputDims); x != nil && net.largest >= 0 && net.largest <= 1<<16 {
				net.Graph.Forward([]*tensor.Tensor{x}, false)
			}
		}
	}
}
