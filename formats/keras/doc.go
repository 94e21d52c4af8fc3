// Package keras imports Keras models into Graft graphs: the model config
// (Keras 2.x and 3.x JSON, Sequential and Functional, nested models flattened
// into one graph) and the weights from TensorFlow.js layers models
// (model.json plus binary shards, float32 or uint8/uint16-quantised), Keras
// HDF5 files (.h5, whole models or weights only) and Keras 3 .keras zips.
//
// Load detects the format from the path. Every weight's shape is checked
// against its layer, and errors name the file, the layer and the weight.
// Only channels_last models are supported.
package keras
