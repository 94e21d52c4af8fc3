package zoo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// LoadTimmStateDict copies a state dict written by timm
// (pytorch-image-models), with timm's module names and PyTorch layouts,
// into the model: ResNet-18/34/50/101/152 and Inception V3 (torchvision's
// names), VGG-16/19 (pre_logits.fc1 and fc2 are 7x7 and 1x1 convolutions
// that become the dense layers classifier.0 and .3), EfficientNet B0-B3,
// MobileNet V2 at any width timm has (mobilenetv2_035 ... _140), and
// MobileNet V3 large and small at width 1 (mobilenetv3_large_100,
// mobilenetv3_small_100; timm's conv_head, a 1x1 convolution with bias
// after the global pooling, becomes the dense layer classifier.0).
//
// timm builds MobileNet V3 with PyTorch's default BatchNorm (epsilon 1e-5,
// momentum 0.1) where torchvision uses 1e-3 and 0.01; the loaded model
// takes timm's settings, which replaces m.Graph by a graph that shares
// every other layer. The same happens for a model built with
// BNConvention BNKeras.
//
// Layouts are converted as LoadTorchStateDict does. "num_batches_tracked"
// and Inception's AuxLogits are ignored. A Graft layer without a timm
// counterpart, a missing, unexpected or mis-shaped tensor is an error
// naming it; nothing is changed unless every tensor fits.
//
// The names cannot tell timm's TensorFlow ports (tf_efficientnet_b0,
// tf_mobilenetv3_large_100 ...), which use "same" padding and BatchNorm
// epsilon 1e-3, from the native models: they load, but compute something
// slightly different.
func LoadTimmStateDict(m *Model, sd map[string]*tensor.Tensor) error {
	g, err := timmGraph(m)
	if err != nil {
		return err
	}
	plan, err := timmPlan(m, g)
	if err != nil {
		return err
	}
	if err := checkPlan(m, plan, sd); err != nil {
		return err
	}
	converted := make([][]float32, len(plan))
	for i, e := range plan {
		converted[i] = e.convert(sd[e.key].Data)
	}
	for i, e := range plan {
		copy(e.dst.Data, converted[i])
	}
	m.Graph = g
	return nil
}

// timmEntry is one tensor of a timm state dict and the Graft tensor it
// fills.
type timmEntry struct {
	key     string
	dst     *tensor.Tensor
	shape   []int // in the state dict (PyTorch layout)
	convert func(src []float32) []float32
}

// timmPlan lists the state-dict tensors the model takes, in graph order.
func timmPlan(m *Model, g *nn.Graph) ([]timmEntry, error) {
	mods, err := timmModules(m, g)
	if err != nil {
		return nil, err
	}
	var plan []timmEntry
	same := func(src []float32) []float32 { return src }
	for _, node := range g.Nodes() {
		mod, ok := mods[node]
		if !ok {
			continue
		}
		l, _ := g.Layer(node)
		add := func(suffix string, dst *tensor.Tensor, shape []int, convert func([]float32) []float32) {
			plan = append(plan, timmEntry{key: mod.name + "." + suffix, dst: dst, shape: shape, convert: convert})
		}
		switch l := l.(type) {
		case *nn.Conv2D:
			k := l.Kernel.Value.Shape
			kh, kw, in, out := k[0], k[1], k[2], k[3]
			add("weight", l.Kernel.Value, []int{out, in, kh, kw}, func(w []float32) []float32 { return oihwToHWIO(w, out, in, kh, kw) })
			if l.Bias != nil {
				add("bias", l.Bias.Value, []int{out}, same)
			}
		case *nn.DepthwiseConv2D:
			k := l.Kernel.Value.Shape
			kh, kw, out := k[0], k[1], k[2]*k[3]
			add("weight", l.Kernel.Value, []int{out, 1, kh, kw}, func(w []float32) []float32 { return oihwToHWIO(w, out, 1, kh, kw) })
			if l.Bias != nil {
				add("bias", l.Bias.Value, []int{out}, same)
			}
		case *nn.Dense:
			in, out := l.Kernel.Value.Shape[0], l.Kernel.Value.Shape[1]
			hwc, chw := m.torch.chw[node]
			shape := []int{out, in}
			if mod.asConv {
				shape = []int{out, in, 1, 1}
				if chw {
					shape = []int{out, hwc[2], hwc[0], hwc[1]}
				}
			}
			add("weight", l.Kernel.Value, shape, func(w []float32) []float32 {
				if chw {
					return linearFromCHW(w, out, hwc)
				}
				return transpose2D(w, out, in)
			})
			if l.Bias != nil {
				add("bias", l.Bias.Value, []int{out}, same)
			}
		case *nn.BatchNorm:
			c := []int{l.MovingMean.Value.Size()}
			if l.Gamma != nil {
				add("weight", l.Gamma.Value, c, same)
			}
			if l.Beta != nil {
				add("bias", l.Beta.Value, c, same)
			}
			add("running_mean", l.MovingMean.Value, c, same)
			add("running_var", l.MovingVariance.Value, c, same)
		}
	}
	return plan, nil
}

// checkPlan reports the first mis-shaped tensor, or every missing and
// unexpected one.
func checkPlan(m *Model, plan []timmEntry, sd map[string]*tensor.Tensor) error {
	used := map[string]bool{}
	var missing []string
	for _, e := range plan {
		src, ok := sd[e.key]
		if !ok {
			missing = append(missing, e.key)
			continue
		}
		used[e.key] = true
		if src == nil || !tensor.EqualShapes(src.Shape, e.shape) {
			var got []int
			if src != nil {
				got = src.Shape
			}
			return fmt.Errorf("zoo: %s: timm tensor %q has shape %v, the model wants %v (Graft shape %v)",
				m.Name, e.key, got, e.shape, e.dst.Shape)
		}
		if len(src.Data) != src.Size() || src.Size() != e.dst.Size() {
			return fmt.Errorf("zoo: %s: timm tensor %q holds %d values for shape %v", m.Name, e.key, len(src.Data), src.Shape)
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
		return fmt.Errorf("zoo: %s: timm state dict does not match: missing %s; unexpected %s",
			m.Name, listOrNone(missing), listOrNone(unexpected))
	}
	return nil
}
