package safetensors

import (
	"encoding/binary"
	"github.com/graft-ml/graft/formats/internal/half"
	"math"
	"testing"

	"github.com/graft-ml/graft/tensor"
)

// TestReadPythonFile reads the file testdata/gen.py wrote by hand from numpy
// arrays and checks every value of every dtype exactly.
func TestReadPythonFile(t *testing.T) {
	f, err := Read("testdata/python.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	inf := float32(math.Inf(1))
	want := []struct {
		name  string
		dtype DType
		shape []int
		data  []float32
	}{
		{"weights.f32", F32, []int{2, 3}, []float32{1.5, -2.25, 3, 0, 1e-3, -7}},
		{"half", F16, []int{8}, []float32{0, float32(math.Copysign(0, -1)), 1, -2.5, 65504, 1.0 / (1 << 24), inf, -inf}},
		{"brain", BF16, []int{4}, []float32{1, -3.5, 256, 0.0078125}},
		{"double", F64, []int{2, 2}, []float32{float32(0.1), float32(-1e30), 1.0 / (1 << 30), float32(12345.6789)}},
		{"long", I64, []int{4}, []float32{-(1 << 40), -1, 0, 7}},
		{"int", I32, []int{3}, []float32{-2147483648, 2147483648, -5}},
		{"short", I16, []int{4}, []float32{-32768, 32767, 0, -1}},
		{"byte", I8, []int{3}, []float32{-128, 127, -1}},
		{"ubyte", U8, []int{2, 2}, []float32{0, 255, 128, 1}},
		{"mask", BOOL, []int{3}, []float32{1, 0, 1}},
		{"scalar", F32, []int{}, []float32{42}},
		{"empty", F32, []int{0, 3}, []float32{}},
	}
	if len(f.Entries) != len(want) {
		t.Fatalf("%d entries %v, want %d", len(f.Entries), f.Names(), len(want))
	}
	for i, w := range want {
		e := f.Entries[i]
		if e.Name != w.name || e.DType != w.dtype {
			t.Errorf("entry %d is %s %s, want %s %s (data order)", i, e.Name, e.DType, w.name, w.dtype)
			continue
		}
		if !tensor.EqualShapes(e.Tensor.Shape, w.shape) {
			t.Errorf("%s: shape %v, want %v", w.name, e.Tensor.Shape, w.shape)
		}
		if len(e.Tensor.Data) != len(w.data) {
			t.Errorf("%s: %d values, want %d", w.name, len(e.Tensor.Data), len(w.data))
			continue
		}
		for j, v := range w.data {
			if math.Float32bits(e.Tensor.Data[j]) != math.Float32bits(v) {
				t.Errorf("%s[%d] = %v, want %v", w.name, j, e.Tensor.Data[j], v)
			}
		}
	}
	if f.Metadata["format"] != "pt" || f.Metadata["source"] != "gen.py" || len(f.Metadata) != 2 {
		t.Errorf("metadata %v", f.Metadata)
	}
	if x, err := f.Tensor("ubyte"); err != nil || x.Data[1] != 255 {
		t.Errorf("Tensor(ubyte) = %v, %v", x, err)
	}
	if _, err := f.Tensor("missing"); err == nil {
		t.Error("Tensor(missing) succeeded")
	}
}

// TestHalfToFloat32AllValues checks every binary16 bit pattern against the
// definition: (-1)^s × 2^(e-15) × (1 + m/1024), or 2^-14 × m/1024 for e = 0.
func TestHalfToFloat32AllValues(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		got := half.ToFloat32(uint16(h))
		s, e, m := h>>15, (h>>10)&0x1f, h&0x3ff
		var want float64
		switch {
		case e == 0x1f && m == 0:
			want = math.Inf(1)
		case e == 0x1f:
			if !math.IsNaN(float64(got)) {
				t.Fatalf("%#04x: %v, want NaN", h, got)
			}
			continue
		case e == 0:
			want = math.Ldexp(float64(m)/1024, -14)
		default:
			want = math.Ldexp(1+float64(m)/1024, e-15)
		}
		if s == 1 {
			want = -want
		}
		if math.Float32bits(got) != math.Float32bits(float32(want)) {
			t.Fatalf("%#04x: %v, want %v", h, got, want)
		}
	}
}

// TestF32InPlaceMatchesDecode checks the little-endian in-place F32 read
// against the portable conversion.
func TestF32InPlaceMatchesDecode(t *testing.T) {
	if !nativeLittleEndian {
		t.Skip("big-endian machine: F32 always goes through decodeInto")
	}
	want := []float32{1, -2.5, float32(math.Inf(1)), 1e-42, 3.4e38}
	raw := make([]byte, 0, 4*len(want))
	for _, v := range want {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	viaDecode := make([]float32, len(want))
	decodeInto(F32, raw, viaDecode)
	inPlace := make([]float32, len(want))
	copy(float32Bytes(inPlace), raw)
	for i := range want {
		if math.Float32bits(inPlace[i]) != math.Float32bits(want[i]) || math.Float32bits(viaDecode[i]) != math.Float32bits(want[i]) {
			t.Errorf("[%d]: in place %v, decoded %v, want %v", i, inPlace[i], viaDecode[i], want[i])
		}
	}
}
