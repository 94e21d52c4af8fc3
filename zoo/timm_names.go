package zoo

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/graft-ml/graft/nn"
)

// timmModule is the timm module that holds a Graft node's parameters.
type timmModule struct {
	name string
	// asConv marks a Graft Dense layer whose timm counterpart is a
	// convolution over the whole input map: VGG's pre_logits.fc1 (7x7) and
	// fc2 (1x1), MobileNet V3's conv_head (1x1 after global pooling).
	asConv bool
}

// timmModules maps every Graft node that has parameters to the timm
// module of the same role. The names are those of timm's model files
// (huggingface/pytorch-image-models, timm/models/): resnet.py and
// inception_v3.py use torchvision's names; vgg.py moves the classifier to
// pre_logits.fc1/fc2 (convolutions) and head.fc; the EfficientNet family
// (efficientnet.py, mobilenetv3.py, _efficientnet_blocks.py) names the stem
// conv_stem/bn1, the blocks blocks.STAGE.INDEX with conv_pw/bn1 (expansion),
// conv_dw/bn1|bn2 (depthwise), se.conv_reduce/se.conv_expand and
// conv_pwl/bn3 or conv_pw/bn2 (projection), and the head conv_head/bn2 and
// classifier. A node without a timm counterpart is an error naming it.
func timmModules(m *Model, g *nn.Graph) (map[string]timmModule, error) {
	var name func(node string) (timmModule, bool)
	switch m.Spec.Family {
	case "resnet", "inception":
		name = func(node string) (timmModule, bool) { return timmModule{name: node}, true }
	case "vgg":
		name = timmVGG
	case "mobilenet_v2":
		name = timmMobileNetV2(g)
	case "mobilenet_v3":
		repeats := timmMNV3LargeRepeats
		if m.Spec.Name == "mobilenet_v3_small" {
			repeats = timmMNV3SmallRepeats
		}
		name = timmMobileNetV3(g, repeats)
	case "efficientnet":
		name = timmEfficientNet(g)
	default:
		return nil, fmt.Errorf("zoo: %s: timm has no model with this architecture's layout (Graft builds Keras's %s)", m.Name, m.Spec.Keras)
	}
	mods := map[string]timmModule{}
	for _, node := range g.Nodes() {
		l, _ := g.Layer(node)
		switch l.(type) {
		case *nn.Conv2D, *nn.DepthwiseConv2D, *nn.Dense, *nn.BatchNorm:
		default:
			continue
		}
		mod, ok := name(node)
		if !ok {
			return nil, fmt.Errorf("zoo: %s: node %q has no counterpart in timm's model", m.Name, node)
		}
		mods[node] = mod
	}
	return mods, nil
}

// timmVGG: vgg.py keeps features.N and replaces torchvision's classifier.0,
// .3 and .6 by pre_logits.fc1 (7x7 conv), pre_logits.fc2 (1x1 conv) and
// head.fc (its _filter_fn does exactly this renaming and reshaping).
func timmVGG(node string) (timmModule, bool) {
	switch node {
	case "classifier.0":
		return timmModule{name: "pre_logits.fc1", asConv: true}, true
	case "classifier.3":
		return timmModule{name: "pre_logits.fc2", asConv: true}, true
	case "classifier.6":
		return timmModule{name: "head.fc"}, true
	}
	return timmModule{name: node}, strings.HasPrefix(node, "features.")
}

// Stage repeats of timm's arch_def strings: mobilenetv2 in efficientnet.py
// _gen_mobilenet_v2 (ds_r1, ir_r2, ir_r3, ir_r4, ir_r3, ir_r3, ir_r1), and
// mobilenetv3.py _gen_mobilenet_v3, whose last stage is the 1x1 ConvBnAct
// (cn_r1) that torchvision counts as the last features entry.
var (
	timmMNV2Repeats      = []int{1, 2, 3, 4, 3, 3, 1}
	timmMNV3LargeRepeats = []int{1, 2, 3, 4, 2, 3}
	timmMNV3SmallRepeats = []int{1, 2, 3, 2, 3}
)

// stageOf turns a flat block index into timm's (stage, index in stage).
func stageOf(repeats []int, i int) (stage, idx int, ok bool) {
	for s, r := range repeats {
		if i < r {
			return s, i, true
		}
		i -= r
	}
	return 0, 0, false
}

// featureIndex parses "features.N.rest" into N and rest.
func featureIndex(node string) (n int, rest string, ok bool) {
	after, found := strings.CutPrefix(node, "features.")
	if !found {
		return 0, "", false
	}
	num, rest, _ := strings.Cut(after, ".")
	n, err := strconv.Atoi(num)
	return n, rest, err == nil
}

// lastFeature is the highest N of the graph's features.N nodes.
func lastFeature(g *nn.Graph) int {
	last := -1
	for _, node := range g.Nodes() {
		if n, _, ok := featureIndex(node); ok && n > last {
			last = n
		}
	}
	return last
}

// stemOrHead maps the stem (features.0) and the last 1x1 convolution
// (features.last) shared by torchvision's MobileNet V2 and EfficientNet.
func stemOrHead(n, last int, rest string) (timmModule, bool) {
	switch {
	case n == 0 && rest == "0":
		return timmModule{name: "conv_stem"}, true
	case n == 0 && rest == "1":
		return timmModule{name: "bn1"}, true
	case n == last && rest == "0":
		return timmModule{name: "conv_head"}, true
	case n == last && rest == "1":
		return timmModule{name: "bn2"}, true
	}
	return timmModule{}, false
}

// timmMobileNetV2 maps torchvision's features.N.conv.K onto timm's
// DepthwiseSeparableConv (first block: conv_dw bn1 conv_pw bn2) and
// InvertedResidual (conv_pw bn1 conv_dw bn2 conv_pwl bn3) blocks.
func timmMobileNetV2(g *nn.Graph) func(string) (timmModule, bool) {
	last := lastFeature(g)
	ds := []string{"conv_dw", "bn1", "conv_pw", "bn2"}                    // conv.0.0 conv.0.1 conv.1 conv.2
	ir := []string{"conv_pw", "bn1", "conv_dw", "bn2", "conv_pwl", "bn3"} // conv.0.0 conv.0.1 conv.1.0 conv.1.1 conv.2 conv.3
	dsPos := map[string]int{"conv.0.0": 0, "conv.0.1": 1, "conv.1": 2, "conv.2": 3}
	irPos := map[string]int{"conv.0.0": 0, "conv.0.1": 1, "conv.1.0": 2, "conv.1.1": 3, "conv.2": 4, "conv.3": 5}
	return func(node string) (timmModule, bool) {
		if node == "classifier.1" {
			return timmModule{name: "classifier"}, true
		}
		n, rest, ok := featureIndex(node)
		if !ok {
			return timmModule{}, false
		}
		if n == 0 || n == last {
			return stemOrHead(n, last, rest)
		}
		s, b, ok := stageOf(timmMNV2Repeats, n-1)
		if !ok {
			return timmModule{}, false
		}
		prefix := fmt.Sprintf("blocks.%d.%d.", s, b)
		if isDepthwise(g, fmt.Sprintf("features.%d.conv.0.0", n)) {
			if i, ok := dsPos[rest]; ok {
				return timmModule{name: prefix + ds[i]}, true
			}
			return timmModule{}, false
		}
		if i, ok := irPos[rest]; ok {
			return timmModule{name: prefix + ir[i]}, true
		}
		return timmModule{}, false
	}
}

// timmMobileNetV3 maps torchvision's MobileNet V3 onto timm's: blocks as
// timmBlock; the last features entry is timm's ConvBnAct stage
// (blocks.S.0.conv, bn1); torchvision's classifier.0 (Linear after global
// pooling) is timm's conv_head (1x1 conv with bias, no norm) and
// classifier.3 timm's classifier.
func timmMobileNetV3(g *nn.Graph, repeats []int) func(string) (timmModule, bool) {
	last := lastFeature(g)
	return func(node string) (timmModule, bool) {
		switch node {
		case "classifier.0":
			return timmModule{name: "conv_head", asConv: true}, true
		case "classifier.3":
			return timmModule{name: "classifier"}, true
		}
		n, rest, ok := featureIndex(node)
		switch {
		case !ok:
			return timmModule{}, false
		case n == 0:
			return stemOrHead(n, last, rest)
		case n == last && rest == "0":
			return timmModule{name: fmt.Sprintf("blocks.%d.0.conv", len(repeats))}, true
		case n == last && rest == "1":
			return timmModule{name: fmt.Sprintf("blocks.%d.0.bn1", len(repeats))}, true
		}
		s, b, ok := stageOf(repeats, n-1)
		if !ok {
			return timmModule{}, false
		}
		return timmBlock(g, fmt.Sprintf("features.%d", n), fmt.Sprintf("blocks.%d.%d.", s, b), rest)
	}
}

// timmEfficientNet maps torchvision's features.S.B (stages as the paper's
// table, which timm's arch_def follows) to timm's blocks.S-1.B.
func timmEfficientNet(g *nn.Graph) func(string) (timmModule, bool) {
	last := lastFeature(g)
	return func(node string) (timmModule, bool) {
		if node == "classifier.1" {
			return timmModule{name: "classifier"}, true
		}
		n, rest, ok := featureIndex(node)
		if !ok {
			return timmModule{}, false
		}
		if n == 0 || n == last {
			return stemOrHead(n, last, rest)
		}
		num, rest, _ := strings.Cut(rest, ".")
		b, err := strconv.Atoi(num)
		if err != nil {
			return timmModule{}, false
		}
		return timmBlock(g, fmt.Sprintf("features.%d.%d", n, b), fmt.Sprintf("blocks.%d.%d.", n-1, b), rest)
	}
}

// timmBlock maps rest ("block.K.0", "block.K.1", "block.K.fc1" ...) of the
// torchvision mobile block at node prefix tv onto timm's block prefix. A
// block without expansion is timm's DepthwiseSeparableConv (conv_dw bn1
// [se] conv_pw bn2); one with it an InvertedResidual (conv_pw bn1 conv_dw
// bn2 [se] conv_pwl bn3).
func timmBlock(g *nn.Graph, tv, prefix, rest string) (timmModule, bool) {
	expand := !isDepthwise(g, tv+".block.0.0")
	type unit struct{ conv, bn string }
	var units []unit
	if expand {
		units = append(units, unit{"conv_pw", "bn1"}, unit{"conv_dw", "bn2"})
	} else {
		units = append(units, unit{"conv_dw", "bn1"})
	}
	if _, ok := g.Layer(fmt.Sprintf("%s.block.%d.fc1", tv, len(units))); ok {
		units = append(units, unit{"se.conv_reduce", "se.conv_expand"})
	}
	if expand {
		units = append(units, unit{"conv_pwl", "bn3"})
	} else {
		units = append(units, unit{"conv_pw", "bn2"})
	}
	var k int
	var part string
	if _, err := fmt.Sscanf(rest, "block.%d.%s", &k, &part); err != nil || k < 0 || k >= len(units) {
		return timmModule{}, false
	}
	u := units[k]
	se := strings.HasPrefix(u.conv, "se.")
	switch {
	case !se && part == "0", se && part == "fc1":
		return timmModule{name: prefix + u.conv}, true
	case !se && part == "1", se && part == "fc2":
		return timmModule{name: prefix + u.bn}, true
	}
	return timmModule{}, false
}

// isDepthwise reports whether node is a depthwise convolution.
func isDepthwise(g *nn.Graph, node string) bool {
	l, _ := g.Layer(node)
	_, ok := l.(*nn.DepthwiseConv2D)
	return ok
}
