package zoo

import "fmt"

// ResNet (He et al. 2015, "Deep Residual Learning for Image Recognition"),
// as torchvision's resnet.py builds it: the stride of a bottleneck stage
// sits on its 3x3 convolution ("ResNet v1.5").

// resnetDepths are the residual blocks per stage (the paper's Table 1).
var resnetDepths = map[string][4]int{
	"resnet18":  {2, 2, 2, 2},
	"resnet34":  {3, 4, 6, 3},
	"resnet50":  {3, 4, 6, 3},
	"resnet101": {3, 4, 23, 3},
	"resnet152": {3, 8, 36, 3},
}

// buildResNet builds ResNet-18/34 from basic blocks and ResNet-50/101/152
// from bottlenecks.
func buildResNet(b *builder) error {
	depths, ok := resnetDepths[b.spec.Name]
	if !ok {
		return fmt.Errorf("no ResNet depths for %q", b.spec.Name)
	}
	bottleneck := b.spec.Name != "resnet18" && b.spec.Name != "resnet34"
	b.bnStyle(1e-5, 0.1, 1.001e-5, 0.99)
	keras := bottleneck // keras.applications has ResNet50/101/152 only

	b.block("stem")
	x := b.conv("conv1", input, conv2d(64, 7, 2, 3))
	x = b.bn("bn1", x)
	x = b.relu("relu", x)
	x = b.maxPool("maxpool", x, 3, 2, 1, false)
	if keras {
		b.kerasName("conv1", "conv1_conv")
		b.kerasName("bn1", "conv1_bn")
	}

	for stage, blocks := range depths {
		planes := 64 << stage
		for i := range blocks {
			stride := 1
			if i == 0 && stage > 0 {
				stride = 2
			}
			name := fmt.Sprintf("layer%d.%d", stage+1, i)
			b.block(name)
			if bottleneck {
				x = b.bottleneck(name, x, planes, stride)
			} else {
				x = b.basicBlock(name, x, planes, stride)
			}
			if keras {
				kb := fmt.Sprintf("conv%d_block%d", stage+2, i+1)
				for _, p := range [][2]string{{"conv1", "_1_conv"}, {"bn1", "_1_bn"}, {"conv2", "_2_conv"}, {"bn2", "_2_bn"},
					{"conv3", "_3_conv"}, {"bn3", "_3_bn"}, {"downsample.0", "_0_conv"}, {"downsample.1", "_0_bn"}} {
					if _, ok := b.chans[name+"."+p[0]]; ok {
						b.kerasName(name+"."+p[0], kb+p[1])
					}
				}
			}
		}
	}

	b.base(x, func(x string) string {
		x = b.globalAvg("avgpool", x, false)
		if keras {
			b.kerasName("fc", "predictions")
		}
		return b.dense("fc", x, b.opt.Classes)
	})
	return nil
}

// basicBlock is two 3x3 convolutions with an identity (or projected)
// shortcut (expansion 1).
func (b *builder) basicBlock(name, x string, planes, stride int) string {
	y := b.conv(name+".conv1", x, conv2d(planes, 3, stride, 1))
	y = b.bn(name+".bn1", y)
	y = b.relu(name+".relu1", y)
	y = b.conv(name+".conv2", y, conv2d(planes, 3, 1, 1))
	y = b.bn(name+".bn2", y)
	return b.residual(name, x, y, planes, stride)
}

// bottleneck is 1x1 reduce, 3x3 (strided), 1x1 expand (expansion 4).
func (b *builder) bottleneck(name, x string, planes, stride int) string {
	y := b.conv(name+".conv1", x, conv2d(planes, 1, 1, 0))
	y = b.bn(name+".bn1", y)
	y = b.relu(name+".relu1", y)
	y = b.conv(name+".conv2", y, conv2d(planes, 3, stride, 1))
	y = b.bn(name+".bn2", y)
	y = b.relu(name+".relu2", y)
	y = b.conv(name+".conv3", y, conv2d(planes*4, 1, 1, 0))
	y = b.bn(name+".bn3", y)
	return b.residual(name, x, y, planes*4, stride)
}

// residual adds the shortcut (a strided 1x1 projection when the shape
// changes, torchvision's "downsample") to y and applies the final ReLU.
func (b *builder) residual(name, x, y string, out, stride int) string {
	short := x
	if stride != 1 || b.ch(x) != out {
		short = b.conv(name+".downsample.0", x, conv2d(out, 1, stride, 0))
		short = b.bn(name+".downsample.1", short)
	}
	s := b.sum(name+".add", y, short)
	return b.relu(name+".relu", s)
}
