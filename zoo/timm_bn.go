package zoo

import (
	"fmt"

	"github.com/graft-ml/graft/nn"
)

// timmBN is the BatchNorm epsilon and momentum of timm's model of each
// family: PyTorch's defaults except Inception V3's BasicConv2d (eps 0.001,
// inception_v3.py). timm's EfficientNet, MobileNet V2 and V3 pass
// resolve_bn_args(kwargs), empty for the native (non tf_) models.
var timmBN = map[string][2]float64{
	"resnet":       {1e-5, 0.1},
	"inception":    {1e-3, 0.1},
	"vgg":          {1e-5, 0.1},
	"mobilenet_v2": {1e-5, 0.1},
	"mobilenet_v3": {1e-5, 0.1},
	"efficientnet": {1e-5, 0.1},
}

// timmGraph returns m.Graph when its BatchNorm layers already have timm's
// epsilon and momentum (a Keras-convention BatchNorm, momentum about 0.99,
// never has), else a new graph with the same nodes
// in which each BatchNorm is replaced by one with timm's settings (same
// mode and trainable flags) and every other layer is shared.
func timmGraph(m *Model) (*nn.Graph, error) {
	bn, ok := timmBN[m.Spec.Family]
	if !ok {
		return m.Graph, nil // timmModules reports the family
	}
	eps, mom := bn[0], bn[1]
	old := m.Graph
	differs := false
	for _, node := range old.Nodes() {
		l, _ := old.Layer(node)
		if b, ok := l.(*nn.BatchNorm); ok && (b.Epsilon() != eps || b.Momentum() != mom) {
			differs = true
			break
		}
	}
	if !differs {
		return old, nil
	}
	g := nn.NewGraph()
	g.CheckFinite = old.CheckFinite
	for _, node := range old.Nodes() {
		l, _ := old.Layer(node)
		ins, _ := old.NodeInputs(node)
		if l == nil {
			if err := g.Input(node); err != nil {
				return nil, fmt.Errorf("zoo: %s: %w", m.Name, err)
			}
			continue
		}
		if b, ok := l.(*nn.BatchNorm); ok {
			nb, err := nn.NewBatchNorm(node, nn.BatchNormConfig{Channels: b.MovingMean.Value.Size(), Convention: nn.BNPyTorch,
				Epsilon: eps, Momentum: mom, NoScale: b.Gamma == nil, NoCenter: b.Beta == nil})
			if err != nil {
				return nil, fmt.Errorf("zoo: %s: %w", m.Name, err)
			}
			nb.SetMode(b.Mode())
			if b.Gamma != nil {
				nb.Gamma.Trainable = b.Gamma.Trainable
			}
			if b.Beta != nil {
				nb.Beta.Trainable = b.Beta.Trainable
			}
			l = nb
		}
		if err := g.Add(node, l, ins...); err != nil {
			return nil, fmt.Errorf("zoo: %s: %w", m.Name, err)
		}
	}
	if err := g.SetOutputs(old.Outputs()...); err != nil {
		return nil, fmt.Errorf("zoo: %s: %w", m.Name, err)
	}
	return g, nil
}
