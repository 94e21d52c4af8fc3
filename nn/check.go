package nn

import (
	"fmt"

	"github.com/graft-ml/graft/tensor"
)

// oneInput checks that exactly one non-nil input of the given rank (0: any)
// was passed and returns it.
func oneInput(layer string, inputs []*tensor.Tensor, rank int) (*tensor.Tensor, error) {
	if len(inputs) != 1 || inputs[0] == nil {
		return nil, fmt.Errorf("%s: got %d inputs, want 1", layer, len(inputs))
	}
	x := inputs[0]
	if rank > 0 && x.Rank() != rank {
		return nil, fmt.Errorf("%s: input %v has rank %d, want %d", layer, x.Shape, x.Rank(), rank)
	}
	return x, nil
}

// checkGradShape reports a gradient whose shape differs from the output's.
func checkGradShape(layer string, grad *tensor.Tensor, want []int) error {
	if grad == nil {
		return fmt.Errorf("%s: nil output gradient", layer)
	}
	if !tensor.EqualShapes(grad.Shape, want) {
		return fmt.Errorf("%s: output gradient %v, want %v", layer, grad.Shape, want)
	}
	return nil
}
