package reliability

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/graft-ml/graft/data"
	"github.com/graft-ml/graft/formats/graftfile"
	"github.com/graft-ml/graft/formats/hdf5"
	"github.com/graft-ml/graft/formats/safetensors"
	"github.com/graft-ml/graft/formats/torch"
	"github.com/graft-ml/graft/modelio"
	"github.com/graft-ml/graft/nn"
)

// allocLimit is the most a reader may allocate while refusing a file that
// claims terabytes: enough for parsing the small file, far from the claim.
const allocLimit = 32 << 20

// huge is the side of the 2^20 x 2^20 float32 tensors (4 TiB) the crafted
// files claim.
const huge = 1 << 20

// TestHugeClaimsAreRefused gives every reader a small file whose header
// claims a tensor (or image) far larger than any machine's memory. Each
// must return an error, without panicking and without allocating more than
// allocLimit bytes in all (runtime.MemStats.TotalAlloc), which shows that
// the size was checked before anything of it was allocated.
func TestHugeClaimsAreRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	open := func(p string) func() error {
		return func() error { _, err := modelio.Open(p, modelio.Options{}); return err }
	}
	cases := []struct {
		name string
		load func() error
	}{
		{"graft file (modelio.Open)", open(write("huge.graft", hugeGraft(t)))},
		{"safetensors", func() error {
			_, err := safetensors.Read(write("huge.safetensors", hugeSafetensors(t)))
			return err
		}},
		{"PyTorch zip checkpoint (pickle)", func() error {
			_, err := torch.Load(write("huge.pt", hugeTorch(t)))
			return err
		}},
		{"ONNX (modelio.Open)", open("testdata/huge.onnx")},
		{"TFLite (modelio.Open)", open(write("huge.tflite", hugeTFLite(t)))},
		{"HDF5 dataset read", func() error {
			f, err := hdf5.Open("testdata/huge.h5")
			if err != nil {
				return err
			}
			defer f.Close()
			root, err := f.Root()
			if err != nil {
				return err
			}
			ds, err := root.Dataset("w")
			if err != nil {
				return err
			}
			_, err = ds.ReadFloat32()
			return err
		}},
		{"Keras .h5 (modelio.Open)", open("testdata/huge_keras.h5")},
		{"TF.js (modelio.Open)", open(hugeTFJS(t, dir))},
		{"IDX", func() error {
			_, err := data.ReadIDXFile(write("huge-idx3-ubyte", hugeIDX()))
			return err
		}},
		{"PNG image", func() error {
			return data.DecodeFile(write("huge.png", hugePNG(t)), data.NewRGB(1, 1), data.DecodeOptions{})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			err := c.load()
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			if err == nil {
				t.Fatalf("a file claiming 4 TiB loaded without error (allocated %d bytes)", alloc)
			}
			if alloc > allocLimit {
				t.Errorf("allocated %d bytes before refusing the file (limit %d): %v", alloc, allocLimit, err)
			}
			t.Logf("refused after allocating %d KiB: %v", alloc>>10, err)
		})
	}
}

// hugeGraft is a Graft file whose dense layer claims 2^20 x 2^20 weights.
func hugeGraft(t *testing.T) []byte {
	g := nn.NewGraph()
	d, err := nn.NewDense("fc", nn.DenseConfig{In: 4, Out: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Input("x"); err != nil {
		t.Fatal(err)
	}
	if err := g.Add("fc", d, "x"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := graftfile.Encode(&buf, &graftfile.Model{Graph: g}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	hl := binary.LittleEndian.Uint64(b[12:])
	h := string(b[20 : 20+hl])
	n := strconv.Itoa(huge)
	for _, r := range [][2]string{{`"In":4,"Out":3`, `"In":` + n + `,"Out":` + n}, {`"shape":[4,3]`, `"shape":[` + n + `,` + n + `]`}} {
		if !strings.Contains(h, r[0]) {
			t.Fatalf("graft header has no %s: %s", r[0], h)
		}
		h = strings.Replace(h, r[0], r[1], 1)
	}
	out := append([]byte(nil), b[:12]...)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(h)))
	out = append(out, h...)
	return append(out, b[20+hl:]...)
}

// hugeSafetensors is a safetensors file whose one tensor claims 4 TiB.
func hugeSafetensors(t *testing.T) []byte {
	h, err := json.Marshal(map[string]any{"w": map[string]any{"dtype": "F32", "shape": []int{huge, huge},
		"data_offsets": []int64{0, 4 * huge * huge}}})
	if err != nil {
		t.Fatal(err)
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(b, h...), make([]byte, 16)...)
}

// hugeTorch is a PyTorch zip checkpoint whose pickle rebuilds a 2^20 x 2^20
// float tensor from a storage declared 2^40 elements long that holds 16
// bytes. The pickle is written opcode by opcode (protocol 2).
func hugeTorch(t *testing.T) []byte {
	var p bytes.Buffer
	long := func(v uint64) { p.WriteString("\x8a\x08"); binary.Write(&p, binary.LittleEndian, v) } // LONG1
	str := func(s string) {
		p.WriteByte('X')
		binary.Write(&p, binary.LittleEndian, uint32(len(s)))
		p.WriteString(s)
	}
	p.WriteString("\x80\x02}") // PROTO 2, EMPTY_DICT
	str("w")
	p.WriteString("ctorch._utils\n_rebuild_tensor_v2\n((") // GLOBAL, MARK, MARK
	str("storage")
	p.WriteString("ctorch\nFloatStorage\n")
	str("0")
	str("cpu")
	long(huge * huge)
	p.WriteString("tQK\x00") // TUPLE, BINPERSID, BININT1 0
	long(huge)
	long(huge)
	p.WriteString("\x86") // TUPLE2: size
	long(huge)
	p.WriteString("K\x01\x86\x89") // BININT1 1, TUPLE2: stride, NEWFALSE
	p.WriteString("ccollections\nOrderedDict\n)RtRs.")
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	for name, b := range map[string][]byte{"archive/data.pkl": p.Bytes(), "archive/data/0": make([]byte, 16)} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return z.Bytes()
}

// hugeTFLite is the synthetic convolution model of formats/tflite's fuzz
// corpus with its filter's shape rewritten to 2^16 x 2^16 x 16 x 16.
func hugeTFLite(t *testing.T) []byte {
	b := fuzzCorpusBytes(t, "../formats/tflite/testdata/fuzz/FuzzParse/synth_conv")
	var found bool
	// The filter is the only 4-d shape with 3 input channels and no 1 in
	// it; find its int32 vector [4, O, H, W, I] by scanning.
	for i := 0; i+20 <= len(b); i += 4 {
		v := func(k int) uint32 { return binary.LittleEndian.Uint32(b[i+4*k:]) }
		if v(0) == 4 && v(4) == 3 && v(1) > 1 && v(2) > 1 && v(3) > 1 && v(1) < 64 && v(2) < 8 && v(3) < 8 {
			binary.LittleEndian.PutUint32(b[i+4:], 1<<16)
			binary.LittleEndian.PutUint32(b[i+8:], 1<<16)
			binary.LittleEndian.PutUint32(b[i+12:], 16)
			binary.LittleEndian.PutUint32(b[i+16:], 16)
			found = true
			break
		}
	}
	if !found {
		t.Fatal("no filter shape found in the TFLite seed")
	}
	return b
}

// fuzzCorpusBytes reads a one-value []byte file of a Go fuzz corpus.
func fuzzCorpusBytes(t *testing.T, path string) []byte {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(raw), "\n", 3)
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
		t.Fatalf("%s: not a []byte corpus file", path)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}

// hugeTFJS writes formats/keras's fuzz TF.js model with its convolution
// kernel's shape rewritten to 2^20 x 2^20 x 2 x 3, and returns model.json.
func hugeTFJS(t *testing.T, dir string) string {
	src := "../formats/keras/testdata/fuzz_tfjs/"
	js, err := os.ReadFile(src + "model.json")
	if err != nil {
		t.Fatal(err)
	}
	old := `"name": "c/kernel", "shape": [2, 2, 2, 3]`
	if !bytes.Contains(js, []byte(old)) {
		t.Fatalf("TF.js seed has no %s", old)
	}
	js = bytes.Replace(js, []byte(old), []byte(`"name": "c/kernel", "shape": [1048576, 1048576, 2, 3]`), 1)
	out := filepath.Join(dir, "tfjs")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	shard, err := os.ReadFile(src + "group1-shard1of1.bin")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "group1-shard1of1.bin"), shard, 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(out, "model.json")
	if err := os.WriteFile(p, js, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// hugeIDX is an IDX header for a 2^31 x 2^31 x 2^31 array of bytes
// followed by 16 bytes.
func hugeIDX() []byte {
	b := []byte{0, 0, 0x08, 3}
	for i := 0; i < 3; i++ {
		b = binary.BigEndian.AppendUint32(b, 1<<31)
	}
	return append(b, make([]byte, 16)...)
}

// hugePNG is a 1x1 PNG whose header (with a valid CRC) claims
// 1,000,000 x 1,000,000 pixels.
func hugePNG(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// IHDR: length at 8, type at 12, width at 16, height at 20, CRC after its 13 bytes.
	binary.BigEndian.PutUint32(b[16:], 1_000_000)
	binary.BigEndian.PutUint32(b[20:], 1_000_000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}
