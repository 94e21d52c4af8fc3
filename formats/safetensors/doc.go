// Package safetensors reads and writes the safetensors file format: an
// 8-byte little-endian header length, a JSON header that maps each tensor's
// name to its dtype, shape and byte offsets (plus an optional
// "__metadata__" map of strings), then the tensors' raw little-endian bytes.
//
// Reading converts every supported dtype (F64, F32, F16, BF16, the signed
// and unsigned integers and BOOL) to float32 and validates the header fully:
// the header fits in the file, offsets lie inside the data section, tensors
// neither overlap nor leave gaps, each byte span matches its shape and
// dtype, and names are unique. Errors name the file and the tensor and wrap
// ErrFormat. Memory is bounded by the file: nothing is allocated for a
// tensor before its byte span has been checked against the data present.
//
// Writing stores float32 tensors (dtype F32) atomically: a temporary file
// in the destination's directory, fsync, then rename.
package safetensors
