package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func idxBytes(typ IDXType, dims []uint32, payload []byte) []byte {
	b := []byte{0, 0, byte(typ), byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

func TestReadIDXPlainAndGzip(t *testing.T) {
	payload := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	plain := idxBytes(IDXUint8, []uint32{2, 2, 3}, payload)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	for name, b := range map[string][]byte{"plain": plain, "gzip": gz.Bytes()} {
		x, err := ReadIDX(bytes.NewReader(b), 1<<20)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if x.Type != IDXUint8 || len(x.Dims) != 3 || x.Dims[0] != 2 || x.Dims[1] != 2 || x.Dims[2] != 3 {
			t.Fatalf("%s: type %v dims %v", name, x.Type, x.Dims)
		}
		if !bytes.Equal(x.Data, payload) {
			t.Fatalf("%s: data %v", name, x.Data)
		}
	}
}

func TestReadIDXTypes(t *testing.T) {
	x, err := ReadIDX(bytes.NewReader(idxBytes(IDXInt16, []uint32{2}, []byte{0xff, 0xfe, 0x01, 0x2c})), 100)
	if err != nil {
		t.Fatal(err)
	}
	if f := x.Float32s(); len(f) != 2 || f[0] != -2 || f[1] != 300 {
		t.Fatalf("int16 values %v, want [-2 300]", f)
	}
	x, err = ReadIDX(bytes.NewReader(idxBytes(IDXFloat32, []uint32{1}, []byte{0x3f, 0xc0, 0, 0})), 100)
	if err != nil {
		t.Fatal(err)
	}
	if f := x.Float32s(); f[0] != 1.5 {
		t.Fatalf("float32 value %v, want 1.5", f[0])
	}
}

func TestReadIDXRejects(t *testing.T) {
	ok := idxBytes(IDXUint8, []uint32{2, 3}, make([]byte, 6))
	cases := map[string]struct {
		b    []byte
		want string
	}{
		"empty":      {nil, "magic"},
		"bad magic":  {append([]byte{1, 0}, ok[2:]...), "magic"},
		"bad type":   {idxBytes(0x07, []uint32{1}, []byte{0}), "element type"},
		"no dims":    {[]byte{0, 0, 8, 0}, "zero dimensions"},
		"short dims": {ok[:6], "dimensions"},
		"truncated":  {ok[:len(ok)-1], "truncated"},
		"trailing":   {append(append([]byte{}, ok...), 0), "trailing"},
		"huge":       {idxBytes(IDXUint8, []uint32{1 << 31, 1 << 31, 1 << 31}, nil), "limit"},
		"over limit": {idxBytes(IDXFloat64, []uint32{1000}, nil), "limit"},
	}
	for name, c := range cases {
		_, err := ReadIDX(bytes.NewReader(c.b), 4096)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", name, err, c.want)
		}
	}
}

func TestReadIDXFileNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad-idx3-ubyte")
	os.WriteFile(path, idxBytes(IDXUint8, []uint32{5, 5}, make([]byte, 3)), 0o644)
	_, err := ReadIDXFile(path)
	if err == nil || !strings.Contains(err.Error(), "bad-idx3-ubyte") {
		t.Fatalf("err = %v, want one naming the file", err)
	}
	// The plain file's length bounds the payload: 25 bytes declared, 3 present.
	if !strings.Contains(err.Error(), "limit") && !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("err = %v, want a size complaint", err)
	}
}

const fashionDir = "/usr/share/datasets/fashion-mnist"

var (
	fashionOnce sync.Once
	fashionDS   *IDXDataset
	fashionErr  error
)

// fashionTest returns the Fashion-MNIST test set, read once for all tests
// (decompressing it is the slowest thing these tests do), or skips.
func fashionTest(t *testing.T) *IDXDataset {
	t.Helper()
	ip := filepath.Join(fashionDir, "t10k-images-idx3-ubyte.gz")
	if _, err := os.Stat(ip); err != nil {
		t.Skip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
	}
	fashionOnce.Do(func() {
		fashionDS, fashionErr = OpenIDX(ip, filepath.Join(fashionDir, "t10k-labels-idx1-ubyte.gz"), FashionMNISTClasses)
	})
	if fashionErr != nil {
		t.Fatal(fashionErr)
	}
	return fashionDS
}

func TestReadIDXFashionMNIST(t *testing.T) {
	ds := fashionTest(t)
	labels, images := ds.Labels, ds.Images
	if len(labels.Dims) != 1 || labels.Dims[0] != 10000 {
		t.Fatalf("label dims %v, want [10000]", labels.Dims)
	}
	var counts [10]int
	for _, l := range labels.Data {
		counts[l]++
	}
	for c, n := range counts {
		if n != 1000 {
			t.Errorf("class %d has %d test labels, want 1000", c, n)
		}
	}
	if labels.Data[0] != 9 || labels.Data[1] != 2 {
		t.Errorf("first labels %v, want [9 2 ...] (ankle boot, pullover)", labels.Data[:2])
	}
	if len(images.Dims) != 3 || images.Dims[0] != 10000 || images.Dims[1] != 28 || images.Dims[2] != 28 {
		t.Fatalf("image dims %v, want [10000 28 28]", images.Dims)
	}
}

func FuzzIDX(f *testing.F) {
	f.Add(idxBytes(IDXUint8, []uint32{1, 2}, []byte{3, 4}))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadIDX(bytes.NewReader(b), 1<<16)
		if err != nil {
			return
		}
		n := x.Type.Size()
		for _, d := range x.Dims {
			n *= d
		}
		if n != len(x.Data) || n > 1<<16 {
			t.Fatalf("dims %v of %v but %d payload bytes", x.Dims, x.Type, len(x.Data))
		}
		if len(x.Float32s()) != x.Len() {
			t.Fatal("Float32s length differs from Len")
		}
	})
}
