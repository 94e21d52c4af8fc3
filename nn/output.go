package nn

import "github.com/graft-ml/graft/tensor"

// newOutput returns a tensor for a layer's result whose every element the
// caller then writes.
func newOutput(shape ...int) *tensor.Tensor { return tensor.New(shape...) }
