package onnx

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// onnxModels restricts TestTorchvisionONNXParity to some keys (comma-separated).
var onnxModels = flag.String("onnx.models", "", "comma-separated keys for TestTorchvisionONNXParity, e.g. resnet18,mobilenet_v3_small@17 (default: all; -short skips vgg19 and resnet152)")

// onnxDir points TestTorchvisionONNXParity at files gen_torchvision_onnx.py wrote earlier.
var onnxDir = flag.String("onnx.dir", "", "directory already holding gen_torchvision_onnx.py's output for TestTorchvisionONNXParity (default: generate into a temporary directory)")

// python is Debian's interpreter, which has torch, torchvision and onnx.
const python = "/usr/bin/python3"

// torchvisionKeys are the exports the parity test checks: every zoo
// architecture at opset 13, MobileNetV3-Small also at opsets 11 and 17
// (HardSwish is decomposed before 14), and ResNet-18 with a symbolic batch.
var torchvisionKeys = []string{
	"resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
	"vgg16", "vgg19", "inception_v3", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
	"efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
	"mobilenet_v3_small@11", "mobilenet_v3_small@17", "resnet18+dyn",
}

// heavyKeys are skipped with -short.
var heavyKeys = map[string]bool{"vgg19": true, "resnet152": true}

type torchvisionEntry struct {
	Input  []int `json:"input"`
	Output []int `json:"output"`
}

// TestTorchvisionONNXParity exports torchvision's architectures (seeded
// weights, randomised BatchNorm statistics, eval mode) with torch.onnx,
// imports each file and checks Graft's logits against torch's within 1e-4
// relative error (max|a-b| / max|b|).
func TestTorchvisionONNXParity(t *testing.T) {
	if err := exec.Command(python, "-c", "import torch, torchvision, onnx").Run(); err != nil {
		t.Skipf("skipping: %s cannot import torch, torchvision and onnx (%v); install python3-torch, python3-torchvision and python3-onnx", python, err)
	}
	var keys []string
	for _, k := range torchvisionKeys {
		if !testing.Short() || !heavyKeys[k] {
			keys = append(keys, k)
		}
	}
	if *onnxModels != "" {
		keys = strings.Split(*onnxModels, ",")
	}
	// -onnx.dir reuses a directory the generator already wrote; otherwise
	// the generator runs alongside the test, announcing each model on a
	// stdout line as soon as it is written, and each is deleted once loaded.
	type entry struct {
		key string
		ref torchvisionEntry
	}
	var ready []entry
	next := func() (entry, bool) {
		if len(ready) == 0 {
			return entry{}, false
		}
		e := ready[0]
		ready = ready[1:]
		return e, true
	}
	dir := *onnxDir
	if dir != "" {
		raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		var man map[string]torchvisionEntry
		if err := json.Unmarshal(raw, &man); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			ready = append(ready, entry{k, man[k]})
		}
	} else {
		dir = t.TempDir()
		cmd := exec.Command(python, append([]string{filepath.Join("testdata", "gen_torchvision_onnx.py"), dir}, keys...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		defer func() {
			for lines.Scan() {
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("gen_torchvision_onnx.py: %v\n%s", err, tail(stderr.Bytes(), 4000))
			}
		}()
		next = func() (entry, bool) {
			for lines.Scan() {
				var e struct {
					Key string `json:"key"`
					torchvisionEntry
				}
				if json.Unmarshal(lines.Bytes(), &e) == nil && e.Key != "" {
					return entry{e.Key, e.torchvisionEntry}, true
				}
			}
			return entry{}, false
		}
	}
	seen := 0
	for e, ok := next(); ok; e, ok = next() {
		seen++
		key, ref := e.key, e.ref
		t.Run(key, func(t *testing.T) {
			ok := len(ref.Input) == 4

			if !ok {
				t.Fatalf("manifest entry for %s: %+v", key, ref)
			}
			file := filepath.Join(dir, key+".onnx")
			net, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			if *onnxDir == "" {
				os.Remove(file) // the disk holds one model at a time
			}
			x := readNCHW(t, filepath.Join(dir, key+".input.bin"), ref.Input)
			want := readFloats(t, filepath.Join(dir, key+".output.bin"), ref.Output)
			out, err := net.Graph.Forward([]*tensor.Tensor{x}, false)
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.EqualShapes(out[0].Shape, ref.Output) {
				t.Fatalf("output shape %v, want %v", out[0].Shape, ref.Output)
			}
			e := relErr(out[0].Data, want)
			t.Logf("%s (opset %d): relative error %.3g", key, net.Opset, e)
			if e > 1e-4 || math.IsNaN(e) {
				t.Errorf("relative error %.3g against torch, want <= 1e-4", e)
			}
			net = nil
			runtime.GC() // the next model's weights need the memory
		})
	}
	if seen != len(keys) {
		t.Errorf("tested %d models, want %d", seen, len(keys))
	}
}

// readFloats reads little-endian float32s and checks their count.
func readFloats(t *testing.T, file string, shape []int) []float64 {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	if len(raw) != 4*n {
		t.Fatalf("%s: %d bytes, want %d for %v", file, len(raw), 4*n, shape)
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
	}
	return out
}

// readNCHW reads an NCHW float32 batch into an NHWC tensor.
func readNCHW(t *testing.T, file string, nchw []int) *tensor.Tensor {
	t.Helper()
	return nchwToNHWC(readFloats(t, file, nchw), nchw[0], nchw[1], nchw[2], nchw[3])
}

// tail returns the last n bytes of b.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
