// Package modelio opens a model from any file Graft reads, deciding the
// format from the file's content (magic bytes, zip entries, JSON keys) rather
// than from its name: Graft files, ONNX, TFLite, TensorFlow.js layers models,
// Keras .h5 and .keras files, PyTorch checkpoints and safetensors (mapped
// onto a zoo architecture), and zoo names whose pretrained weights are in the
// download cache. Every result carries a graph, the preprocessing its input
// expects and, where known, class labels.
//
// It also downloads the zoo's official weight files into the cache (Pull),
// verifying the digest the publisher gives.
package modelio
