package nn

import (
	"flag"
	"os"
	"testing"
)

// TestMain runs the package's tests (not its benchmarks) with poisoned
// recycled buffers, so that any test catches a layer result that is not
// fully written or storage recycled while still in use.
func TestMain(m *testing.M) {
	flag.Parse()
	if b := flag.Lookup("test.bench"); b == nil || b.Value.String() == "" {
		poisonBuffers = true
	}
	os.Exit(m.Run())
}
