package modelio

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/graft-ml/graft/formats/safetensors"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// TestOpenTimmSafetensors opens a safetensors file with timm's names (the
// key table zoo's tests use, num_batches_tracked left out as safetensors
// exports often do, a 10-class classifier) by timm's model name.
func TestOpenTimmSafetensors(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot(t), "zoo/testdata/timm/mobilenetv3_small_100.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	var entries []safetensors.Entry
	byName := map[string]*tensor.Tensor{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if strings.HasSuffix(fields[0], ".num_batches_tracked") {
			continue
		}
		var shape []int
		for _, d := range fields[1:] {
			n, err := strconv.Atoi(d)
			if err != nil {
				t.Fatal(err)
			}
			shape = append(shape, n)
		}
		if strings.HasPrefix(fields[0], "classifier.") {
			shape[0] = 10
		}
		x := tensor.New(shape...)
		for i := range x.Data {
			x.Data[i] = rng.Float32() - 0.5
		}
		byName[fields[0]] = x
		entries = append(entries, safetensors.Entry{Name: fields[0], DType: safetensors.F32, Tensor: x})
	}
	p := filepath.Join(t.TempDir(), "model.safetensors")
	if err := safetensors.Write(p, entries, nil); err != nil {
		t.Fatal(err)
	}
	l, err := Open(p, Options{Arch: "mobilenetv3_small_100"})
	if err != nil {
		t.Fatal(err)
	}
	fc, ok := l.Graph.Layer("classifier.3")
	if !ok {
		t.Fatal("no classifier.3")
	}
	d := fc.(*nn.Dense)
	if got := d.Kernel.Value.Shape; got[1] != 10 {
		t.Fatalf("classifier kernel %v, want 10 outputs", got)
	}
	if got, want := d.Bias.Value.Data[7], byName["classifier.bias"].Data[7]; got != want {
		t.Errorf("classifier bias %v, want %v", got, want)
	}
	bn, _ := l.Graph.Layer("features.1.block.0.1")
	if eps := bn.(*nn.BatchNorm).Epsilon(); eps != 1e-5 {
		t.Errorf("BatchNorm epsilon %v, want timm's 1e-5", eps)
	}
	if _, err := Open(p, Options{Arch: "mobilenet_v3_large"}); err == nil || !strings.Contains(err.Error(), "timm") {
		t.Errorf("timm weights as the wrong architecture: %v", err)
	}
}
