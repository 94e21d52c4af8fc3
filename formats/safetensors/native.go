package safetensors

import (
	"encoding/binary"
	"unsafe"
)

// nativeLittleEndian reports whether float32 values are stored in memory
// as safetensors stores them, so F32 data can be read straight into a
// tensor without conversion.
var nativeLittleEndian = func() bool {
	var probe [2]byte
	binary.NativeEndian.PutUint16(probe[:], 1)
	return probe[0] == 1
}()

// float32Bytes views a float32 slice as its bytes, for reading F32 data in
// place on little-endian machines.
func float32Bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}
