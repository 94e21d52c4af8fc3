package zoo

import (
	"fmt"

	"github.com/graft-ml/graft/nn"
)

// Inception V3 (Szegedy et al. 2015, "Rethinking the Inception Architecture
// for Computer Vision"), as torchvision's inception.py builds it, without
// the auxiliary classifier (used only in training; its weights in
// torchvision's files are skipped) and without transform_input (folded
// into the preprocessing).

func buildInceptionV3(b *builder) error {
	b.bnStyle(1e-3, 0.1, 1e-3, 0.99)
	b.torch.ignore = append(b.torch.ignore, "AuxLogits.")
	k := &inceptionNames{b: b}

	b.block("stem")
	x := k.basic("Conv2d_1a_3x3", input, kern(32, 3, 3, 2, 0, 0))
	x = k.basic("Conv2d_2a_3x3", x, kern(32, 3, 3, 1, 0, 0))
	x = k.basic("Conv2d_2b_3x3", x, kern(64, 3, 3, 1, 1, 1))
	x = b.maxPool("maxpool1", x, 3, 2, 0, false)
	x = k.basic("Conv2d_3b_1x1", x, kern(80, 1, 1, 1, 0, 0))
	x = k.basic("Conv2d_4a_3x3", x, kern(192, 3, 3, 1, 0, 0))
	x = b.maxPool("maxpool2", x, 3, 2, 0, false)

	x = k.inceptionA("Mixed_5b", x, 32)
	x = k.inceptionA("Mixed_5c", x, 64)
	x = k.inceptionA("Mixed_5d", x, 64)
	x = k.inceptionB("Mixed_6a", x)
	x = k.inceptionC("Mixed_6b", x, 128)
	x = k.inceptionC("Mixed_6c", x, 160)
	x = k.inceptionC("Mixed_6d", x, 160)
	x = k.inceptionC("Mixed_6e", x, 192)
	x = k.inceptionD("Mixed_7a", x)
	x = k.inceptionE("Mixed_7b", x)
	x = k.inceptionE("Mixed_7c", x)

	b.base(x, func(x string) string {
		x = b.globalAvg("avgpool", x, false)
		x = b.dropout("dropout", x, 0.5)
		b.kerasName("fc", "predictions")
		return b.dense("fc", x, b.opt.Classes)
	})
	return nil
}

// kern is a convolution with a kh×kw kernel, stride and symmetric padding
// (ph, pw), without bias.
func kern(out, kh, kw, stride, ph, pw int) nn.Conv2DConfig {
	return nn.Conv2DConfig{Filters: out, KernelH: kh, KernelW: kw, StrideH: stride, StrideW: stride,
		Padding: nn.PadSymmetric(ph, pw), NoBias: true}
}

// inceptionNames adds BasicConv2d units, numbering them as Keras does
// (conv2d_N, batch_normalization_N in creation order, which is
// torchvision's module order).
type inceptionNames struct {
	b *builder
	n int
}

// basic is torchvision's BasicConv2d: convolution, BatchNorm (eps 1e-3),
// ReLU, as name.conv, name.bn, name.relu.
func (k *inceptionNames) basic(name, x string, c nn.Conv2DConfig) string {
	k.n++
	k.b.kerasName(name+".conv", fmt.Sprintf("conv2d_%d", k.n))
	k.b.kerasName(name+".bn", fmt.Sprintf("batch_normalization_%d", k.n))
	x = k.b.conv(name+".conv", x, c)
	x = k.b.bn(name+".bn", x)
	return k.b.relu(name+".relu", x)
}

// inceptionA is the 35x35 module (the paper's Figure 5).
func (k *inceptionNames) inceptionA(name, x string, poolFeatures int) string {
	k.b.block(name)
	b1 := k.basic(name+".branch1x1", x, kern(64, 1, 1, 1, 0, 0))
	b5 := k.basic(name+".branch5x5_1", x, kern(48, 1, 1, 1, 0, 0))
	b5 = k.basic(name+".branch5x5_2", b5, kern(64, 5, 5, 1, 2, 2))
	b3 := k.basic(name+".branch3x3dbl_1", x, kern(64, 1, 1, 1, 0, 0))
	b3 = k.basic(name+".branch3x3dbl_2", b3, kern(96, 3, 3, 1, 1, 1))
	b3 = k.basic(name+".branch3x3dbl_3", b3, kern(96, 3, 3, 1, 1, 1))
	bp := k.b.avgPool(name+".avg_pool", x, 3, 1, 1)
	bp = k.basic(name+".branch_pool", bp, kern(poolFeatures, 1, 1, 1, 0, 0))
	return k.b.concat(name+".cat", b1, b5, b3, bp)
}

// inceptionB is the 35x35 to 17x17 grid reduction.
func (k *inceptionNames) inceptionB(name, x string) string {
	k.b.block(name)
	b3 := k.basic(name+".branch3x3", x, kern(384, 3, 3, 2, 0, 0))
	bd := k.basic(name+".branch3x3dbl_1", x, kern(64, 1, 1, 1, 0, 0))
	bd = k.basic(name+".branch3x3dbl_2", bd, kern(96, 3, 3, 1, 1, 1))
	bd = k.basic(name+".branch3x3dbl_3", bd, kern(96, 3, 3, 2, 0, 0))
	bp := k.b.maxPool(name+".max_pool", x, 3, 2, 0, false)
	return k.b.concat(name+".cat", b3, bd, bp)
}

// inceptionC is the 17x17 module with factorised 7x7 convolutions (the
// paper's Figure 6).
func (k *inceptionNames) inceptionC(name, x string, c7 int) string {
	k.b.block(name)
	b1 := k.basic(name+".branch1x1", x, kern(192, 1, 1, 1, 0, 0))
	b7 := k.basic(name+".branch7x7_1", x, kern(c7, 1, 1, 1, 0, 0))
	b7 = k.basic(name+".branch7x7_2", b7, kern(c7, 1, 7, 1, 0, 3))
	b7 = k.basic(name+".branch7x7_3", b7, kern(192, 7, 1, 1, 3, 0))
	bd := k.basic(name+".branch7x7dbl_1", x, kern(c7, 1, 1, 1, 0, 0))
	bd = k.basic(name+".branch7x7dbl_2", bd, kern(c7, 7, 1, 1, 3, 0))
	bd = k.basic(name+".branch7x7dbl_3", bd, kern(c7, 1, 7, 1, 0, 3))
	bd = k.basic(name+".branch7x7dbl_4", bd, kern(c7, 7, 1, 1, 3, 0))
	bd = k.basic(name+".branch7x7dbl_5", bd, kern(192, 1, 7, 1, 0, 3))
	bp := k.b.avgPool(name+".avg_pool", x, 3, 1, 1)
	bp = k.basic(name+".branch_pool", bp, kern(192, 1, 1, 1, 0, 0))
	return k.b.concat(name+".cat", b1, b7, bd, bp)
}

// inceptionD is the 17x17 to 8x8 grid reduction.
func (k *inceptionNames) inceptionD(name, x string) string {
	k.b.block(name)
	b3 := k.basic(name+".branch3x3_1", x, kern(192, 1, 1, 1, 0, 0))
	b3 = k.basic(name+".branch3x3_2", b3, kern(320, 3, 3, 2, 0, 0))
	b7 := k.basic(name+".branch7x7x3_1", x, kern(192, 1, 1, 1, 0, 0))
	b7 = k.basic(name+".branch7x7x3_2", b7, kern(192, 1, 7, 1, 0, 3))
	b7 = k.basic(name+".branch7x7x3_3", b7, kern(192, 7, 1, 1, 3, 0))
	b7 = k.basic(name+".branch7x7x3_4", b7, kern(192, 3, 3, 2, 0, 0))
	bp := k.b.maxPool(name+".max_pool", x, 3, 2, 0, false)
	return k.b.concat(name+".cat", b3, b7, bp)
}

// inceptionE is the 8x8 module with expanded filter banks (the paper's
// Figure 7).
func (k *inceptionNames) inceptionE(name, x string) string {
	k.b.block(name)
	b1 := k.basic(name+".branch1x1", x, kern(320, 1, 1, 1, 0, 0))
	b3 := k.basic(name+".branch3x3_1", x, kern(384, 1, 1, 1, 0, 0))
	b3a := k.basic(name+".branch3x3_2a", b3, kern(384, 1, 3, 1, 0, 1))
	b3b := k.basic(name+".branch3x3_2b", b3, kern(384, 3, 1, 1, 1, 0))
	b3 = k.b.concat(name+".branch3x3.cat", b3a, b3b)
	bd := k.basic(name+".branch3x3dbl_1", x, kern(448, 1, 1, 1, 0, 0))
	bd = k.basic(name+".branch3x3dbl_2", bd, kern(384, 3, 3, 1, 1, 1))
	bda := k.basic(name+".branch3x3dbl_3a", bd, kern(384, 1, 3, 1, 0, 1))
	bdb := k.basic(name+".branch3x3dbl_3b", bd, kern(384, 3, 1, 1, 1, 0))
	bd = k.b.concat(name+".branch3x3dbl.cat", bda, bdb)
	bp := k.b.avgPool(name+".avg_pool", x, 3, 1, 1)
	bp = k.basic(name+".branch_pool", bp, kern(192, 1, 1, 1, 0, 0))
	return k.b.concat(name+".cat", b1, b3, bd, bp)
}
