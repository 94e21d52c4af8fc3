package optim

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz/FuzzLoadState seed corpus")

// fuzzTarget is the optimizer FuzzLoadState loads into: an AMSGrad Adam
// over the test network, so every buffer kind and both groups appear.
func fuzzTarget() (*Adam, *testNet) {
	n := newTestNet(5)
	c := DefaultAdamConfig(1e-3)
	c.AMSGrad = true
	o, err := NewAdam(c, n.groups()...)
	if err != nil {
		panic(err)
	}
	return o, n
}

// fuzzSeeds returns valid states after 0, 1 and 3 steps plus damaged ones.
func fuzzSeeds() [][]byte {
	var seeds [][]byte
	o, n := fuzzTarget()
	empty, _ := o.State()
	seeds = append(seeds, empty)
	for s := 0; s < 3; s++ {
		n.setGradsAt(s)
		if err := o.Step(); err != nil {
			panic(err)
		}
		if s == 0 || s == 2 {
			st, _ := o.State()
			seeds = append(seeds, st)
		}
	}
	last := seeds[len(seeds)-1]
	seeds = append(seeds, last[:len(last)/2], []byte(stateMagic), nil)
	return seeds
}

func FuzzLoadState(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkLoad(t, data)
		// Most mutations break the checksum; also try each input with a
		// valid one so the fuzzer reaches the header and buffer parsing.
		if len(data) >= 4 {
			fixed := bytes.Clone(data)
			binary.LittleEndian.PutUint32(fixed[len(fixed)-4:], crc32.ChecksumIEEE(fixed[:len(fixed)-4]))
			checkLoad(t, fixed)
		}
	})
}

// checkLoad loads data into a fresh fuzz target: a rejected state must
// leave it unchanged; an accepted one must re-encode to bytes that load
// back to the same state, and must step without error.
func checkLoad(t *testing.T, data []byte) {
	t.Helper()
	o, n := fuzzTarget()
	before, _ := o.State()
	if err := o.LoadState(data); err != nil {
		after, _ := o.State()
		if !bytes.Equal(before, after) {
			t.Fatalf("failed LoadState (%v) changed the optimizer", err)
		}
		return
	}
	again, err := o.State()
	if err != nil {
		t.Fatalf("State after LoadState: %v", err)
	}
	o2, _ := fuzzTarget()
	if err := o2.LoadState(again); err != nil {
		t.Fatalf("re-encoded state rejected: %v", err)
	}
	if third, _ := o2.State(); !bytes.Equal(third, again) {
		t.Fatal("re-encoded state does not round-trip")
	}
	n.setGradsAt(4)
	if err := o.Step(); err != nil {
		t.Fatalf("Step after LoadState: %v", err)
	}
}

// TestFuzzCorpusCurrent checks the committed seed corpus matches what
// fuzzSeeds makes; run with -update-corpus to rewrite it.
func TestFuzzCorpusCurrent(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzLoadState")
	for i, s := range fuzzSeeds() {
		path := filepath.Join(dir, fmt.Sprintf("seed%d", i))
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if *updateCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./optim/ -run TestFuzzCorpusCurrent -args -update-corpus)", err)
		}
		if string(got) != content {
			t.Fatalf("%s is stale (run go test ./optim/ -run TestFuzzCorpusCurrent -args -update-corpus)", path)
		}
	}
}
