// Package data turns image files into training batches: it reads datasets
// (an image folder with one sub-folder per class, a CSV manifest, IDX files
// as MNIST ships them), decodes JPEG, PNG, GIF, BMP and WebP to 8-bit RGB
// (honouring EXIF orientation), resizes and crops them the way a model's
// preprocessing says (Pillow-compatible antialiased bilinear), augments them
// reproducibly from a seed, and loads them in parallel into NHWC float32
// batches with bounded prefetch. It also splits datasets (stratified
// train/val/test and k-fold) and weighs classes.
package data
