package nn

import (
	"flag"
	"os"
	"testing"
)

// TestMain runs the package's tests (not its benchmarks) with poisoned
// pooled buffers, so that any test catches a layer result that is not
// fully written or storage recycled while still in use.
func TestMain(m *testing.M) {
	flag.Parse()
	if b := flag.Lookup("test.bench"); b == nil || b.Value.String() == "" {
		floatBuffers.poison = func(b []float32) {
			for i := range b {
				b[i] = -1e30
			}
		}
		indexBuffers.poison = func(b []int32) {
			for i := range b {
				b[i] = -1 << 30
			}
		}
	}
	os.Exit(m.Run())
}
