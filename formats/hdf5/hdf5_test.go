package hdf5

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"github.com/graft-ml/graft/formats/internal/half"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// expectedFile mirrors one entry of testdata/expected.json (written by gen.py).
type expectedFile struct {
	Datasets map[string]struct {
		Shape  []int     `json:"shape"`
		Values []float64 `json:"values"`
	} `json:"datasets"`
	Attrs     map[string]map[string]any `json:"attrs"`
	Members   map[string][]string       `json:"members"`
	Softlinks map[string]string         `json:"softlinks"`
}

func loadExpected(t *testing.T) map[string]expectedFile {
	t.Helper()
	b, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]expectedFile
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) < 5 {
		t.Fatalf("expected.json lists %d files", len(m))
	}
	return m
}

func TestFixtures(t *testing.T) {
	for name, want := range loadExpected(t) {
		t.Run(name, func(t *testing.T) {
			f, err := Open(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			checkDatasets(t, f, want)
			checkAttrs(t, f, want)
			checkMembers(t, f, want)
			for link, target := range want.Softlinks {
				a, err := f.Lookup(link)
				if err != nil {
					t.Fatalf("soft link %s: %v", link, err)
				}
				if a.Path() != "/"+target {
					t.Errorf("soft link %s resolved to %s, want /%s", link, a.Path(), target)
				}
			}
		})
	}
}

func checkDatasets(t *testing.T, f *File, want expectedFile) {
	t.Helper()
	if len(want.Datasets) == 0 {
		t.Fatal("no datasets expected")
	}
	for path, w := range want.Datasets {
		ds, err := f.Root()
		if err != nil {
			t.Fatal(err)
		}
		d, err := ds.Dataset(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if got := d.Shape(); !reflect.DeepEqual(got, w.Shape) && !(len(got) == 0 && len(w.Shape) == 0) {
			t.Errorf("%s: shape %v, want %v", path, got, w.Shape)
		}
		v64, err := d.ReadFloat64()
		if err != nil {
			t.Errorf("%s: ReadFloat64: %v", path, err)
			continue
		}
		v32, err := d.ReadFloat32()
		if err != nil {
			t.Errorf("%s: ReadFloat32: %v", path, err)
			continue
		}
		if len(v64) != len(w.Values) || len(v32) != len(w.Values) {
			t.Errorf("%s: %d/%d values, want %d", path, len(v64), len(v32), len(w.Values))
			continue
		}
		for i, x := range w.Values {
			if v64[i] != x || v32[i] != float32(x) {
				t.Errorf("%s[%d] = %v (float32 %v), want %v", path, i, v64[i], v32[i], x)
				break
			}
		}
	}
}

func checkAttrs(t *testing.T, f *File, want expectedFile) {
	t.Helper()
	for path, attrs := range want.Attrs {
		obj, err := f.Lookup(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		names, err := obj.AttrNames()
		if err != nil {
			t.Errorf("%s: AttrNames: %v", path, err)
		}
		for name, w := range attrs {
			if i := sort.SearchStrings(names, name); i == len(names) || names[i] != name {
				t.Errorf("%s: AttrNames %v lacks %q", path, names, name)
			}
			a, err := obj.Attr(name)
			if err != nil {
				t.Errorf("%s@%s: %v", path, name, err)
				continue
			}
			checkAttrValue(t, path+"@"+name, a, w)
		}
	}
}

func checkAttrValue(t *testing.T, where string, a *Attribute, w any) {
	t.Helper()
	switch w := w.(type) {
	case string:
		got, err := a.StringValue()
		if err != nil || got != w {
			t.Errorf("%s = %q (%v), want %q", where, got, err, w)
		}
	case float64:
		got, err := a.Float64()
		if err != nil || got != w {
			t.Errorf("%s = %v (%v), want %v", where, got, err, w)
		}
	case []any:
		if len(w) > 0 {
			if _, isStr := w[0].(string); !isStr {
				got, err := a.Float64s()
				if err != nil || len(got) != len(w) {
					t.Errorf("%s = %v (%v), want %v", where, got, err, w)
					return
				}
				for i := range w {
					if got[i] != w[i].(float64) {
						t.Errorf("%s = %v, want %v", where, got, w)
					}
				}
				return
			}
		}
		got, err := a.Strings()
		if err != nil || len(got) != len(w) {
			t.Errorf("%s = %q (%v), want %q", where, got, err, w)
			return
		}
		for i := range w {
			if got[i] != w[i].(string) {
				t.Errorf("%s = %q, want %q", where, got, w)
			}
		}
	case map[string]any:
		got, err := a.StringValue()
		sum := sha256.Sum256([]byte(got))
		if err != nil || len(got) != int(w["len"].(float64)) || hex.EncodeToString(sum[:]) != w["sha256"] {
			t.Errorf("%s: %d bytes (%v), want %v", where, len(got), err, w)
		}
	default:
		t.Errorf("%s: unexpected expectation %T", where, w)
	}
}

func checkMembers(t *testing.T, f *File, want expectedFile) {
	t.Helper()
	for path, names := range want.Members {
		g, err := f.Root()
		if err == nil && path != "/" {
			g, err = g.Group(path)
		}
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		got, err := g.Members()
		if err != nil {
			t.Errorf("%s: Members: %v", path, err)
			continue
		}
		if !reflect.DeepEqual(got, names) {
			t.Errorf("%s: members %q, want %q", path, got, names)
		}
	}
}

func TestFloat16(t *testing.T) {
	cases := map[uint16]float32{
		0x0000: 0, 0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0001: 5.9604645e-08,
		0x0400: 6.1035156e-05, 0x3555: 0.33325195,
	}
	for h, want := range cases {
		if got := half.ToFloat32(h); got != want {
			t.Errorf("half.ToFloat32(%#04x) = %v, want %v", h, got, want)
		}
	}
	if got := half.ToFloat32(0x7c00); !math.IsInf(float64(got), 1) {
		t.Errorf("float16 +inf = %v", got)
	}
	if got := half.ToFloat32(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("float16 NaN = %v", got)
	}
}
