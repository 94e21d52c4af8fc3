package zoo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// LoadTorchStateDict copies a torchvision state dict (as formats/torch
// returns it: PyTorch layouts, dotted module names) into the model's
// parameters and BatchNorm statistics. Convolution weights [O, I/g, KH, KW]
// become [KH, KW, I/g, O] (depthwise ones [KH, KW, C, M]); linear weights
// [out, in] become [in, out], with the rows of a linear layer fed by a
// flattened feature map (VGG's classifier.0) reordered from PyTorch's
// C, H, W order to Graft's H, W, C. "num_batches_tracked" is ignored, as are
// modules the model does not build (Inception's AuxLogits). A missing,
// unexpected or mis-shaped tensor is an error naming it and both shapes;
// nothing is changed unless every tensor fits.
func LoadTorchStateDict(m *Model, sd map[string]*tensor.Tensor) error {
	type copyJob struct {
		dst *tensor.Tensor
		src []float32
	}
	var jobs []copyJob
	used := map[string]bool{}
	var missing []string
	take := func(key string, dst *tensor.Tensor, want []int, conv func(src *tensor.Tensor) []float32) error {
		src, ok := sd[key]
		if !ok {
			missing = append(missing, key)
			return nil
		}
		used[key] = true
		if !tensor.EqualShapes(src.Shape, want) {
			return fmt.Errorf("zoo: %s: tensor %q has shape %v, the model wants %v (Graft shape %v)",
				m.Name, key, src.Shape, want, dst.Shape)
		}
		if len(src.Data) != src.Size() {
			return fmt.Errorf("zoo: %s: tensor %q holds %d values for shape %v", m.Name, key, len(src.Data), src.Shape)
		}
		jobs = append(jobs, copyJob{dst, conv(src)})
		return nil
	}
	same := func(src *tensor.Tensor) []float32 { return src.Data }
	for _, node := range m.Graph.Nodes() {
		l, _ := m.Graph.Layer(node)
		var err error
		switch l := l.(type) {
		case *nn.Conv2D:
			err = takeConv(take, node, l.Kernel, l.Bias, false)
		case *nn.DepthwiseConv2D:
			err = takeConv(take, node, l.Kernel, l.Bias, true)
		case *nn.Dense:
			in, out := l.Kernel.Value.Shape[0], l.Kernel.Value.Shape[1]
			hwc, chw := m.torch.chw[node]
			err = take(node+".weight", l.Kernel.Value, []int{out, in}, func(src *tensor.Tensor) []float32 {
				if chw {
					return linearFromCHW(src.Data, out, hwc)
				}
				return transpose2D(src.Data, out, in)
			})
			if err == nil && l.Bias != nil {
				err = take(node+".bias", l.Bias.Value, []int{out}, same)
			}
		case *nn.BatchNorm:
			c := []int{l.MovingMean.Value.Size()}
			for _, p := range []struct {
				key string
				p   *nn.Param
			}{{"weight", l.Gamma}, {"bias", l.Beta}, {"running_mean", l.MovingMean}, {"running_var", l.MovingVariance}} {
				if p.p != nil && err == nil {
					err = take(node+"."+p.key, p.p.Value, c, same)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	var unexpected []string
	for key := range sd {
		if used[key] || strings.HasSuffix(key, ".num_batches_tracked") || m.torchIgnored(key) {
			continue
		}
		unexpected = append(unexpected, key)
	}
	slices.Sort(unexpected)
	if len(missing) > 0 || len(unexpected) > 0 {
		return fmt.Errorf("zoo: %s: state dict does not match: missing %s; unexpected %s",
			m.Name, listOrNone(missing), listOrNone(unexpected))
	}
	for _, j := range jobs {
		copy(j.dst.Data, j.src)
	}
	return nil
}

func (m *Model) torchIgnored(key string) bool {
	for _, p := range m.torch.ignore {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	const show = 8
	if len(names) > show {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:show], ", "), len(names)-show)
	}
	return strings.Join(names, ", ")
}

// takeConv maps a convolution's weight [O, I/g, KH, KW] (and bias) onto a
// Graft kernel [KH, KW, I/g, O] or depthwise kernel [KH, KW, C, M] (the
// same memory order, since output channel c*M+j is innermost in both).
func takeConv(take func(string, *tensor.Tensor, []int, func(*tensor.Tensor) []float32) error, node string, kernel, bias *nn.Param, depthwise bool) error {
	k := kernel.Value.Shape
	kh, kw := k[0], k[1]
	var in, out int
	if depthwise {
		in, out = 1, k[2]*k[3]
	} else {
		in, out = k[2], k[3]
	}
	err := take(node+".weight", kernel.Value, []int{out, in, kh, kw}, func(src *tensor.Tensor) []float32 {
		return oihwToHWIO(src.Data, out, in, kh, kw)
	})
	if err == nil && bias != nil {
		err = take(node+".bias", bias.Value, []int{out}, func(src *tensor.Tensor) []float32 { return src.Data })
	}
	return err
}

// oihwToHWIO transposes a PyTorch convolution weight to Graft's layout.
func oihwToHWIO(w []float32, o, i, kh, kw int) []float32 {
	out := make([]float32, len(w))
	for oc := range o {
		for ic := range i {
			for y := range kh {
				for x := range kw {
					out[((y*kw+x)*i+ic)*o+oc] = w[((oc*i+ic)*kh+y)*kw+x]
				}
			}
		}
	}
	return out
}

// transpose2D turns a [rows, cols] matrix into [cols, rows].
func transpose2D(w []float32, rows, cols int) []float32 {
	return permuteTranspose(w, rows, cols, nil)
}

// linearFromCHW turns a PyTorch linear weight [out, C*H*W] whose inputs come
// from an NCHW flatten into a Graft kernel [H*W*C, out] for an NHWC flatten.
func linearFromCHW(w []float32, out int, hwc [3]int) []float32 {
	h, wd, c := hwc[0], hwc[1], hwc[2]
	perm := make([]int, h*wd*c) // Graft input row -> torch input column
	for y := range h {
		for x := range wd {
			for ch := range c {
				perm[(y*wd+x)*c+ch] = (ch*h+y)*wd + x
			}
		}
	}
	return permuteTranspose(w, out, len(perm), perm)
}

// permuteTranspose returns res[i*rows+r] = w[r*cols+perm[i]] (perm nil is
// the identity), in tiles so that big matrices stay cache-friendly.
func permuteTranspose(w []float32, rows, cols int, perm []int) []float32 {
	const tile = 64
	res := make([]float32, len(w))
	for i0 := 0; i0 < cols; i0 += tile {
		i1 := min(i0+tile, cols)
		for r0 := 0; r0 < rows; r0 += tile {
			r1 := min(r0+tile, rows)
			for i := i0; i < i1; i++ {
				src := i
				if perm != nil {
					src = perm[i]
				}
				dst := res[i*rows:]
				for r := r0; r < r1; r++ {
					dst[r] = w[r*cols+src]
				}
			}
		}
	}
	return res
}
