package graftfile

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

func testModel(t testing.TB) *Model {
	t.Helper()
	g := nn.NewGraph()
	if err := g.Input("image"); err != nil {
		t.Fatal(err)
	}
	conv, err := nn.NewConv2D("conv", nn.Conv2DConfig{InChannels: 3, Filters: 4, KernelH: 3, KernelW: 3, Padding: nn.PadSame(), Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	bn, err := nn.NewBatchNorm("bn", nn.BatchNormConfig{Channels: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := range bn.MovingVariance.Value.Data {
		bn.MovingVariance.Value.Data[i] = 0.5 + float32(i)
		bn.MovingMean.Value.Data[i] = float32(math.NaN()) // exotic values survive too
	}
	bn.MovingMean.Value.Data[1] = -0.25
	dense, err := nn.NewDense("fc", nn.DenseConfig{In: 4, Out: 3, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name string
		l    nn.Layer
		in   string
	}{{"conv", conv, "image"}, {"bn", bn, "conv"}, {"relu", nn.NewReLU("relu"), "bn"},
		{"pool", nn.NewGlobalAvgPool("pool", false), "relu"}, {"fc", dense, "pool"}} {
		if err := g.Add(step.name, step.l, step.in); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.SetTrainable("conv", false); err != nil {
		t.Fatal(err)
	}
	return &Model{Graph: g, Preprocess: data.Preprocess{Height: 8, Width: 8, Resize: data.ResizeSquash, Scale: data.ScaleSymmetric},
		Labels: []string{"cat", "dog", "owl"}, Meta: map[string]any{"base": "mobilenet_v2", "val_accuracy": 0.875},
		Blobs: map[string][]byte{"optimizer": {1, 2, 3, 0, 255}}}
}

func encode(t testing.TB, m *Model) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTripIsExact(t *testing.T) {
	m := testModel(t)
	path := filepath.Join(t.TempDir(), "model.graft")
	if err := Save(path, m); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := append(m.Graph.Params(), m.Graph.State()...)
	have := append(got.Graph.Params(), got.Graph.State()...)
	if len(want) != len(have) {
		t.Fatalf("%d tensors, want %d", len(have), len(want))
	}
	for i := range want {
		if want[i].Name != have[i].Name || want[i].Trainable != have[i].Trainable {
			t.Fatalf("tensor %d: %s/%v, want %s/%v", i, have[i].Name, have[i].Trainable, want[i].Name, want[i].Trainable)
		}
		for j := range want[i].Value.Data {
			if math.Float32bits(want[i].Value.Data[j]) != math.Float32bits(have[i].Value.Data[j]) {
				t.Fatalf("%s[%d] = %v, want %v", want[i].Name, j, have[i].Value.Data[j], want[i].Value.Data[j])
			}
		}
	}
	if got.Preprocess != m.Preprocess || !reflect.DeepEqual(got.Labels, m.Labels) ||
		!reflect.DeepEqual(got.Meta, m.Meta) || !reflect.DeepEqual(got.Blobs, m.Blobs) {
		t.Fatalf("metadata differs: %+v", got)
	}
	// Saving the loaded model gives the same bytes.
	if !bytes.Equal(encode(t, got), encode(t, m)) {
		t.Fatal("re-encoding a loaded model changed its bytes")
	}
	// The loaded graph computes what the original does.
	x := tensor.New(1, 8, 8, 3)
	for i := range x.Data {
		x.Data[i] = float32(i%7) - 3
	}
	a, err := m.Graph.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := got.Graph.Forward([]*tensor.Tensor{x}, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a[0].Data {
		if math.Float32bits(a[0].Data[i]) != math.Float32bits(b[0].Data[i]) {
			t.Fatalf("outputs differ at %d", i)
		}
	}
}

func TestCorruptFilesAreRejected(t *testing.T) {
	b := encode(t, testModel(t))
	for cut := 0; cut < len(b); cut += 11 {
		if _, err := Decode(b[:cut]); err == nil {
			t.Fatalf("file cut to %d of %d bytes loaded", cut, len(b))
		}
	}
	// Every bit flip in the data section is caught by a checksum.
	hl := int(b[12]) | int(b[13])<<8 | int(b[14])<<16
	for i := 20 + hl; i < len(b); i++ {
		c := append([]byte(nil), b...)
		c[i] ^= 0x10
		if _, err := Decode(c); err == nil {
			t.Fatalf("bit flip at byte %d went unnoticed", i)
		}
	}
	for i := 0; i < 20+hl; i += 3 {
		c := append([]byte(nil), b...)
		c[i] ^= 0x41
		Decode(c) // must not panic
	}
	c := append([]byte(nil), b...)
	c[8] = 99
	if _, err := Decode(c); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("future version: %v", err)
	}
}

func TestFailedSaveKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.graft")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := WriteAtomic(path, func(w io.Writer) error {
		w.Write(make([]byte, 1000))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("old file changed to %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	ro := filepath.Join(dir, "ro")
	os.Mkdir(ro, 0o500)
	if os.Getuid() != 0 { // root ignores permissions
		if err := Save(filepath.Join(ro, "m.graft"), testModel(t)); err == nil {
			t.Fatal("saving into a read-only folder succeeded")
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encode(f, testModel(f)))
	f.Add([]byte("GRAFTMDL\x01\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		if _, err := m.Graph.Spec(); err != nil {
			t.Fatalf("decoded graph cannot be described: %v", err)
		}
	})
}

func TestSavedFilesAreWorldReadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.graft")
	if err := Save(path, testModel(t)); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, want 0644", st.Mode().Perm())
	}
}
