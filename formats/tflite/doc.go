// Package tflite reads TensorFlow Lite flatbuffer models (.tflite) and turns
// them into Graft graphs.
//
// Parsing is pure Go and bounds-checked: every offset in the file is
// validated before it is followed, so a corrupt or truncated file yields an
// error naming the file and the tensor or operator, never a panic. Quantised
// weights (uint8 asymmetric, int8 symmetric per-channel, int32 biases) are
// dequantised to float32 on load; activations run in float32 with no
// re-quantisation between layers.
package tflite
