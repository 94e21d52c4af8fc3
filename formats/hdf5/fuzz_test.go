package hdf5

import "testing"

// FuzzOpen opens arbitrary bytes as HDF5, walks every object and reads every
// attribute and dataset. The seed corpus in testdata/fuzz/FuzzOpen holds
// small files written by h5py (see testdata/gen.py). Any outcome but a panic
// or a hang is fine.
func FuzzOpen(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = walkAll(data)
	})
}
