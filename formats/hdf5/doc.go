// Package hdf5 is a read-only, pure-Go reader for the HDF5 files that Keras
// and h5py write: weight files (.h5) with groups per layer, datasets of
// floats or integers, and string or numeric attributes.
//
// It understands superblock versions 0 to 3, object header versions 1 and 2,
// old-style groups (symbol tables) and new-style groups (link messages, dense
// link storage in a fractal heap), contiguous, compact and chunked datasets
// (every chunk index up to the 1.10 format) with the deflate, shuffle and
// fletcher32 filters, and attributes in the object header or in dense storage.
//
// Every offset and length read from the file is checked against the file
// size, decompressed data is bounded by the size the dataset declares, and
// cycles are detected, so a damaged or hostile file yields an error naming the
// file and object path, never a panic.
package hdf5
