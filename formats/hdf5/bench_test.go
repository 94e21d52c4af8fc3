package hdf5

import (
	"os"
	"testing"
)

// BenchmarkReadFloat32 reads every dataset of the file named by
// HDF5_BENCH_FILE (skipped when unset), reporting bytes per second.
func BenchmarkReadFloat32(b *testing.B) {
	path := os.Getenv("HDF5_BENCH_FILE")
	if path == "" {
		b.Skip("set HDF5_BENCH_FILE to an .h5 file")
	}
	for i := 0; i < b.N; i++ {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		root, err := f.Root()
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		err = root.Walk(func(o Object) error {
			if d, ok := o.(*Dataset); ok {
				v, err := d.ReadFloat32()
				n += int64(len(v)) * 4
				return err
			}
			return nil
		})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(n)
	}
}
