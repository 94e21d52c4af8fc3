package zoo

import (
	"fmt"
	"strconv"
)

// VGG (Simonyan & Zisserman 2014, "Very Deep Convolutional Networks for
// Large-Scale Image Recognition"), as torchvision's vgg.py builds it:
// 3x3 convolutions with bias and ReLU, 2x2 max pooling, an adaptive
// average pooling to 7x7, and three fully connected layers.

// vggConfigs are the paper's Table 1 columns D (VGG16) and E (VGG19):
// output channels of each 3x3 convolution, 0 for a max pooling.
var vggConfigs = map[string][]int{
	"vgg16": {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0},
	"vgg19": {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0},
}

func buildVGG(b *builder) error {
	cfg, ok := vggConfigs[b.spec.Name]
	if !ok {
		return fmt.Errorf("no VGG configuration for %q", b.spec.Name)
	}
	x := input
	idx, stage, conv := 0, 1, 1 // torchvision's features index; Keras's block and conv numbers
	b.block("block1")
	for _, c := range cfg {
		name := "features." + strconv.Itoa(idx)
		if c == 0 {
			x = b.maxPool(name, x, 2, 2, 0, false)
			idx++
			stage, conv = stage+1, 1
			if stage <= 5 {
				b.block(fmt.Sprintf("block%d", stage))
			}
			continue
		}
		cc := conv2d(c, 3, 1, 1)
		cc.NoBias = false
		x = b.conv(name, x, cc)
		b.kerasName(name, fmt.Sprintf("block%d_conv%d", stage, conv))
		x = b.relu("features."+strconv.Itoa(idx+1), x)
		idx += 2
		conv++
	}
	b.base(x, func(x string) string {
		x = b.add("avgpool", newAdaptiveAvgPool("avgpool", 7, 7), b.ch(x), x)
		b.torch.chw["classifier.0"] = [3]int{7, 7, b.ch(x)}
		x = b.flatten("flatten", x, 7, 7)
		x = b.dense("classifier.0", x, 4096)
		x = b.relu("classifier.1", x)
		x = b.dropout("classifier.2", x, 0.5)
		x = b.dense("classifier.3", x, 4096)
		x = b.relu("classifier.4", x)
		x = b.dropout("classifier.5", x, 0.5)
		b.kerasName("classifier.0", "fc1")
		b.kerasName("classifier.3", "fc2")
		b.kerasName("classifier.6", "predictions")
		return b.dense("classifier.6", x, b.opt.Classes)
	})
	return nil
}
