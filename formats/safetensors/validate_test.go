package safetensors

import (
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
)

// build assembles a file from a header string and raw data bytes.
func build(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

func TestDecodeRejectsMalformedHeaders(t *testing.T) {
	data8 := make([]byte, 8)
	cases := []struct {
		what, header string
		data         []byte
		wantInMsg    string // the tensor's name or the problem
	}{
		{"not an object", `[1,2]`, nil, "not a JSON object"},
		{"bad json", `{"a":`, nil, "header"},
		{"trailing garbage", `{}x`, nil, "after its JSON object"},
		{"missing dtype", `{"w":{"shape":[2],"data_offsets":[0,8]}}`, data8, `"w"`},
		{"missing shape", `{"w":{"dtype":"F32","data_offsets":[0,8]}}`, data8, `"w"`},
		{"unknown dtype", `{"w":{"dtype":"F128","shape":[2],"data_offsets":[0,8]}}`, data8, `"w"`},
		{"one offset", `{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}`, data8, `"w"`},
		{"offsets reversed", `{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, data8, `"w"`},
		{"offset past end", `{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, data8, `"w"`},
		{"negative offset", `{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`, data8, `"w"`},
		{"negative dim", `{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, data8, `"w"`},
		{"shape too big", `{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, data8, `"w"`},
		{"shape too small", `{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}`, data8, `"w"`},
		{"shape overflow", `{"w":{"dtype":"F64","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}}`, data8, "overflows"},
		{"shape overflow before zero", `{"w":{"dtype":"F32","shape":[4611686018427387904,4,0],"data_offsets":[0,0]}}`, nil, "overflows"},
		{"shape overflow after zero", `{"w":{"dtype":"F32","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}}`, nil, "overflows"},
		{"duplicate name", `{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, data8, `"w"`},
		{"overlap", `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, data8, `"b"`},
		{"gap", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}}`, data8, `"b"`},
		{"not from zero", `{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, data8, `"b"`},
		{"unused tail", `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, data8, "cover 4 bytes"},
		{"metadata not strings", `{"__metadata__":{"a":1}}`, nil, "__metadata__"},
		{"entry not object", `{"w":7}`, nil, `"w"`},
		{"empty name", `{"":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}`, nil, "empty tensor name"},
		{"bool not 0/1", `{"m":{"dtype":"BOOL","shape":[8],"data_offsets":[0,8]}}`, []byte{0, 1, 1, 0, 2, 0, 0, 0}, `"m": BOOL element 4`},
	}
	for _, c := range cases {
		_, err := Decode(build(c.header, c.data), "case.safetensors")
		if err == nil {
			t.Errorf("%s: accepted", c.what)
			continue
		}
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v does not match ErrFormat", c.what, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "case.safetensors") || !strings.Contains(msg, c.wantInMsg) {
			t.Errorf("%s: error %q should name the file and contain %q", c.what, msg, c.wantInMsg)
		}
	}
}

func TestDecodeRejectsBadHeaderLength(t *testing.T) {
	for _, b := range [][]byte{
		nil,
		{1, 2, 3},
		binary.LittleEndian.AppendUint64(nil, 3), // header longer than file
		binary.LittleEndian.AppendUint64(nil, 1<<63),              // absurd, would overflow int64
		append(binary.LittleEndian.AppendUint64(nil, 2), "{}"...), // valid, empty
	} {
		f, err := Decode(b, "len.safetensors")
		if len(b) == 10 {
			if err != nil || len(f.Entries) != 0 {
				t.Errorf("empty file: %v %v", f, err)
			}
			continue
		}
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%x: error %v, want ErrFormat", b, err)
		}
	}
}

// TestDecodeTruncatedAndBitFlipped cuts the Python file at every length and
// flips every bit of it: every result must be an error or a file whose
// tensors agree with their shapes, never a panic.
func TestDecodeTruncatedAndBitFlipped(t *testing.T) {
	orig, err := os.ReadFile("testdata/python.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(orig); n++ {
		if _, err := Decode(orig[:n], "cut"); err == nil {
			t.Fatalf("file cut to %d of %d bytes accepted", n, len(orig))
		} else if !errors.Is(err, ErrFormat) {
			t.Fatalf("cut to %d: %v is not ErrFormat", n, err)
		}
	}
	buf := make([]byte, len(orig))
	accepted := 0
	for i := range orig {
		for bit := 0; bit < 8; bit++ {
			copy(buf, orig)
			buf[i] ^= 1 << bit
			f, err := Decode(buf, "flip")
			if err != nil {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("flip byte %d bit %d: %v is not ErrFormat", i, bit, err)
				}
				continue
			}
			accepted++
			checkConsistent(t, f)
		}
	}
	// Flips inside tensor data (and some inside names) stay valid; flips in
	// the length prefix or structure must not. Make sure both happened.
	if accepted == 0 || accepted == 8*len(orig) {
		t.Fatalf("%d of %d flipped files accepted", accepted, 8*len(orig))
	}
}

func checkConsistent(t *testing.T, f *File) {
	t.Helper()
	seen := map[string]bool{}
	for _, e := range f.Entries {
		if seen[e.Name] {
			t.Fatalf("duplicate %q accepted", e.Name)
		}
		seen[e.Name] = true
		n := 1
		for _, d := range e.Tensor.Shape {
			n *= d
		}
		if n != len(e.Tensor.Data) {
			t.Fatalf("%q: shape %v with %d values", e.Name, e.Tensor.Shape, len(e.Tensor.Data))
		}
	}
}
