package hdf5

import (
	"bytes"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// walkAll opens data and touches everything: every object, every attribute
// value and every dataset. It returns the first error.
func walkAll(data []byte) error {
	f, err := OpenReaderOptions(bytes.NewReader(data), int64(len(data)), Options{MaxDatasetBytes: 1 << 20})
	if err != nil {
		return err
	}
	root, err := f.Root()
	if err != nil {
		return err
	}
	var first error
	keep := func(err error) {
		if first == nil && err != nil {
			first = err
		}
	}
	keep(root.Walk(func(o Object) error {
		names, err := o.AttrNames()
		keep(err)
		for _, n := range names {
			a, err := o.Attr(n)
			keep(err)
			if err == nil {
				_, err = a.Value()
				keep(err)
			}
		}
		switch o := o.(type) {
		case *Group:
			_, err := o.Members()
			keep(err)
		case *Dataset:
			_, err := o.ReadFloat32()
			keep(err)
		}
		return nil
	}))
	return first
}

func fixtureNames(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob("testdata/*.h5")
	if err != nil || len(names) < 5 {
		t.Fatalf("fixtures: %v %v", names, err)
	}
	return names
}

func TestWalkAllFixtures(t *testing.T) {
	for _, name := range fixtureNames(t) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := walkAll(data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestTruncated checks that every truncation of every fixture is an error
// (or, for a cut inside unused tail space, a clean read), never a panic.
func TestTruncated(t *testing.T) {
	for _, name := range fixtureNames(t) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		failures := 0
		cuts := []int{0, 1, 7, 8, 40, 95, 96, 200, 511, 512, 1000}
		for i := 1; i < 60; i++ {
			cuts = append(cuts, len(data)*i/60)
		}
		for _, n := range cuts {
			if n > len(data) {
				continue
			}
			if walkAll(data[:n]) != nil {
				failures++
			}
		}
		if failures < len(cuts)/2 {
			t.Errorf("%s: only %d of %d truncations failed", name, failures, len(cuts))
		}
	}
}

// TestBitFlips flips single bits across each fixture; all outcomes but a
// panic are acceptable.
func TestBitFlips(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, name := range fixtureNames(t) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var positions []int
		for i := 0; i < 800 && i < len(data); i += 5 {
			positions = append(positions, i)
		}
		for i := 0; i < 200; i++ {
			positions = append(positions, rng.Intn(len(data)))
		}
		failures := 0
		for _, p := range positions {
			bad := bytes.Clone(data)
			bad[p] ^= 1 << uint(rng.Intn(8))
			if walkAll(bad) != nil {
				failures++
			}
		}
		if failures == 0 {
			t.Errorf("%s: no bit flip was detected", name)
		}
	}
}

func TestErrorsNameFileAndPath(t *testing.T) {
	f, err := Open("testdata/keras_latest.h5")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = f.Lookup("model_weights/dense/nope")
	var e *Error
	if !errors.As(err, &e) || e.File != "testdata/keras_latest.h5" || e.Path != "/model_weights/dense/nope" || !IsNotFound(err) {
		t.Fatalf("missing member error = %#v", err)
	}
	root, _ := f.Root()
	if _, err := root.Attr("nope"); !IsNotFound(err) {
		t.Errorf("missing attribute error = %v", err)
	}
	if _, err := root.Dataset("model_weights"); err == nil {
		t.Error("Dataset on a group succeeded")
	}
	if _, err := root.Group("extras/f64"); err == nil {
		t.Error("Group on a dataset succeeded")
	}
	if _, err := Open("testdata/gen.py"); err == nil {
		t.Error("opening a non-HDF5 file succeeded")
	}
	if _, err := Open("testdata/does-not-exist.h5"); err == nil {
		t.Error("opening a missing file succeeded")
	}
}

func TestDatasetLimit(t *testing.T) {
	data, err := os.ReadFile("testdata/keras_latest.h5")
	if err != nil {
		t.Fatal(err)
	}
	f, err := OpenReaderOptions(bytes.NewReader(data), int64(len(data)), Options{MaxDatasetBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := f.Root()
	if err != nil {
		t.Fatal(err)
	}
	d, err := ds.Dataset("extras/many_chunks") // 1100 float32 = 4400 bytes
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ReadFloat32(); err == nil {
		t.Error("read above MaxDatasetBytes succeeded")
	}
	d, err = ds.Dataset("extras/f64") // 15 float64 = 120 bytes
	if err != nil {
		t.Fatal(err)
	}
	if v, err := d.ReadFloat32(); err != nil || len(v) != 15 {
		t.Errorf("small read: %d values, %v", len(v), err)
	}
}

func TestAttributeValues(t *testing.T) {
	f, err := Open("testdata/keras_earliest.h5")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := f.Root()
	if err != nil {
		t.Fatal(err)
	}
	if g, err = g.Group("extras"); err != nil {
		t.Fatal(err)
	}
	check := func(name string, want any) {
		t.Helper()
		a, err := g.Attr(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Value()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !equalAny(got, want) {
			t.Errorf("%s = %#v (%s %v), want %#v", name, got, a.Type(), a.Shape(), want)
		}
	}
	check("int_scalar", int64(-42))
	check("float_scalar", 0.125)
	check("f32_list", []float64{1.5, -2.25, 3})
	check("u16be_list", []int64{1, 65535})
	check("vlen_str", "héllo wörld")
	check("vlen_list", []string{"a", "bc", "", "déf"})
	check("fixed_str", "fixed")
	check("fixed_2d", []string{"ab", "c", "", "def"})
	a, _ := g.Attr("fixed_2d")
	if s := a.Shape(); len(s) != 2 || s[0] != 2 || s[1] != 2 {
		t.Errorf("fixed_2d shape %v", s)
	}
	if _, err := a.Float64s(); err == nil {
		t.Error("Float64s on strings succeeded")
	}
	a, _ = g.Attr("vlen_str")
	if _, err := a.Int64s(); err == nil {
		t.Error("Int64s on a string succeeded")
	}
	a, _ = g.Attr("int_scalar")
	if v, err := a.Int64s(); err != nil || len(v) != 1 || v[0] != -42 {
		t.Errorf("Int64s = %v, %v", v, err)
	}
	if _, err := a.Strings(); err == nil {
		t.Error("Strings on an integer succeeded")
	}
}

func equalAny(a, b any) bool {
	switch a := a.(type) {
	case []float64:
		b, ok := b.([]float64)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	case []int64:
		b, ok := b.([]int64)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	case []string:
		b, ok := b.([]string)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestWalkVisitsEverything(t *testing.T) {
	for _, name := range []string{"keras_earliest.h5", "keras_latest.h5"} {
		f, err := Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		root, err := f.Root()
		if err != nil {
			t.Fatal(err)
		}
		var groups, datasets, types int
		err = root.Walk(func(o Object) error {
			switch o.(type) {
			case *Group:
				groups++
			case *Dataset:
				datasets++
			case *NamedType:
				types++
			}
			return nil
		})
		f.Close()
		// Groups: root, extras, many, dense_attrs, model_weights, 4 layers, 3
		// inner layer groups (flatten has no weights), 20 odd "many" members.
		// Datasets: 20 even "many" members, 29 in extras, 8 weights.
		if err != nil || groups != 32 || datasets != 57 || types != 1 {
			t.Errorf("%s: walked %d groups, %d datasets, %d types (%v)", name, groups, datasets, types, err)
		}
	}
}

// TestCorruptChunkNamesDataset damages one compressed chunk and checks that
// the error names the file and the dataset while other datasets still read.
func TestCorruptChunkNamesDataset(t *testing.T) {
	data, err := os.ReadFile("testdata/keras_latest.h5")
	if err != nil {
		t.Fatal(err)
	}
	open := func(b []byte) *Group {
		t.Helper()
		f, err := OpenReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		g, err := f.Root()
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	d, err := open(data).Dataset("extras/gzip_only")
	if err != nil {
		t.Fatal(err)
	}
	g, _ := d.grid()
	var refs []chunkRef
	if err := d.chunkRefs(g, func(c chunkRef) error { refs = append(refs, c); return nil }); err != nil || len(refs) != 6 {
		t.Fatalf("%d chunk refs, %v", len(refs), err)
	}
	bad := bytes.Clone(data)
	bad[refs[2].addr+refs[2].size/2] ^= 0xff
	root := open(bad)
	d, err = root.Dataset("extras/gzip_only")
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.ReadFloat32()
	var e *Error
	if !errors.As(err, &e) || e.Path != "/extras/gzip_only" || e.File != "<reader>" {
		t.Fatalf("corrupt chunk error = %v", err)
	}
	other, err := root.Dataset("extras/f64")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := other.ReadFloat32(); err != nil || len(v) != 15 {
		t.Errorf("undamaged dataset: %d values, %v", len(v), err)
	}
}

func TestLinkCycles(t *testing.T) {
	for _, name := range []string{"keras_earliest.h5", "keras_latest.h5"} {
		f, err := Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Lookup("soft_loop"); err == nil {
			t.Errorf("%s: self-referencing soft link resolved", name)
		}
		o, err := f.Lookup("extras/loop/loop/f64")
		if err != nil {
			t.Errorf("%s: path through a hard-link cycle: %v", name, err)
		} else if o.Path() != "/extras/loop/loop/f64" {
			t.Errorf("%s: path %s", name, o.Path())
		}
		f.Close()
	}
}

// TestContinuationCycle points a version 1 object header's continuation
// message back at the header's own first block.
func TestContinuationCycle(t *testing.T) {
	data, err := os.ReadFile("testdata/keras_earliest.h5")
	if err != nil {
		t.Fatal(err)
	}
	f, err := OpenReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	addr := f.rootAdr
	size := uint64(leUint(data[addr+8 : addr+12]))
	patched := false
	for p := addr + 16; p+8 <= addr+16+size; {
		typ, n := leUint(data[p:p+2]), leUint(data[p+2:p+4])
		if typ == msgContinuation {
			bad := bytes.Clone(data)
			copy(bad[p+8:], le64(addr+16))
			copy(bad[p+16:], le64(size))
			if err := walkAll(bad); err == nil || !strings.Contains(err.Error(), "cycle") {
				t.Errorf("continuation cycle: err = %v", err)
			}
			patched = true
			break
		}
		p += 8 + n
	}
	if !patched {
		t.Fatal("root header has no continuation message to patch")
	}
}

func le64(v uint64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return b
}
