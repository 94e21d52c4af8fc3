package zoo

import (
	"fmt"
	"strings"

	"github.com/graft-ml/graft/nn"
	"github.com/graft-ml/graft/tensor"
)

// Naming is the module naming of a PyTorch state dict.
type Naming int

const (
	// NamingTorchvision is torchvision's (the zoo's node names).
	NamingTorchvision Naming = iota
	// NamingTimm is timm's (pytorch-image-models).
	NamingTimm
)

// String returns "torchvision" or "timm".
func (n Naming) String() string {
	if n == NamingTimm {
		return "timm"
	}
	return "torchvision"
}

// DetectNaming returns the naming under which more of sd's keys name a
// tensor of m (torchvision's on a tie, as for ResNet and Inception V3,
// whose timm names are torchvision's), and how many keys each matches.
func DetectNaming(m *Model, sd map[string]*tensor.Tensor) (n Naming, torchvision, timm int) {
	tv := torchvisionKeys(m.Graph)
	tm := map[string]bool{}
	if plan, err := timmPlan(m, m.Graph); err == nil {
		for _, e := range plan {
			tm[e.key] = true
		}
	}
	for key := range sd {
		if tv[key] {
			torchvision++
		}
		if tm[key] {
			timm++
		}
	}
	if timm > torchvision {
		return NamingTimm, torchvision, timm
	}
	return NamingTorchvision, torchvision, timm
}

// LoadStateDict loads a PyTorch state dict with torchvision's names
// (LoadTorchStateDict) or timm's (LoadTimmStateDict), whichever matches
// more of its keys. An error says which naming was tried and how many keys
// each matched.
func LoadStateDict(m *Model, sd map[string]*tensor.Tensor) error {
	n, tv, tm := DetectNaming(m, sd)
	var err error
	if n == NamingTimm {
		err = LoadTimmStateDict(m, sd)
	} else {
		err = LoadTorchStateDict(m, sd)
	}
	if err != nil {
		return fmt.Errorf("%w (read with %s's names; of the file's %d keys %d are torchvision's, %d timm's)", err, n, len(sd), tv, tm)
	}
	return nil
}

// torchvisionKeys is the set of state-dict keys LoadTorchStateDict reads.
func torchvisionKeys(g *nn.Graph) map[string]bool {
	keys := map[string]bool{}
	for _, node := range g.Nodes() {
		l, _ := g.Layer(node)
		var suffixes []string
		switch l := l.(type) {
		case *nn.Conv2D:
			suffixes = withBias(l.Bias != nil)
		case *nn.DepthwiseConv2D:
			suffixes = withBias(l.Bias != nil)
		case *nn.Dense:
			suffixes = withBias(l.Bias != nil)
		case *nn.BatchNorm:
			suffixes = []string{"weight", "bias", "running_mean", "running_var"}
		}
		for _, s := range suffixes {
			keys[node+"."+s] = true
		}
	}
	return keys
}

func withBias(bias bool) []string {
	if bias {
		return []string{"weight", "bias"}
	}
	return []string{"weight"}
}

// StateDictClasses returns the output size of the classifier (the graph's
// last dense layer) as sd holds it under torchvision's or timm's names, or
// 0 when sd has no such tensor.
func StateDictClasses(m *Model, sd map[string]*tensor.Tensor) int {
	nodes := m.Graph.Nodes()
	for i := len(nodes) - 1; i >= 0; i-- {
		l, _ := m.Graph.Layer(nodes[i])
		if _, ok := l.(*nn.Dense); !ok {
			continue
		}
		keys := []string{nodes[i] + ".weight"}
		if mods, err := timmModules(m, m.Graph); err == nil {
			keys = append(keys, mods[nodes[i]].name+".weight")
		}
		for _, k := range keys {
			if w, ok := sd[k]; ok && w != nil && len(w.Shape) >= 2 {
				return w.Shape[0]
			}
		}
		return 0
	}
	return 0
}

// timmArchs maps timm's model names to the zoo's architecture and width
// multiplier, for the models whose timm weights map exactly.
var timmArchs = map[string]struct {
	arch  string
	width float64
}{
	"resnet18": {"resnet18", 1}, "resnet34": {"resnet34", 1}, "resnet50": {"resnet50", 1},
	"resnet101": {"resnet101", 1}, "resnet152": {"resnet152", 1},
	"inception_v3": {"inception_v3", 1},
	"vgg16":        {"vgg16", 1}, "vgg19": {"vgg19", 1},
	"efficientnet_b0": {"efficientnet_b0", 1}, "efficientnet_b1": {"efficientnet_b1", 1},
	"efficientnet_b2": {"efficientnet_b2", 1}, "efficientnet_b3": {"efficientnet_b3", 1},
	"mobilenetv2_035": {"mobilenet_v2", 0.35}, "mobilenetv2_050": {"mobilenet_v2", 0.5},
	"mobilenetv2_075": {"mobilenet_v2", 0.75}, "mobilenetv2_100": {"mobilenet_v2", 1},
	"mobilenetv2_140":       {"mobilenet_v2", 1.4},
	"mobilenetv3_large_100": {"mobilenet_v3_large", 1},
	"mobilenetv3_small_100": {"mobilenet_v3_small", 1},
}

// TimmArch returns the zoo architecture and width multiplier that build
// timm's model name (a pretrained tag such as ".a1_in1k" is ignored):
// resnet18 ... resnet152, inception_v3, vgg16, vgg19, efficientnet_b0 ...
// b3, mobilenetv2_035/050/075/100/140, mobilenetv3_large_100 and
// mobilenetv3_small_100. Other timm models (tf_ ports, mobilenetv3 at
// other widths, mobilenetv2_110d/120d, resnet*d ...) differ from the zoo's
// architectures and are not listed.
func TimmArch(name string) (arch string, width float64, ok bool) {
	base, _, _ := strings.Cut(strings.ToLower(name), ".")
	a, ok := timmArchs[base]
	return a.arch, a.width, ok
}
