"""Writes the state-dict keys and shapes of timm models, for zoo's timm tests.

Usage: /usr/bin/python3 gen_timm_keys.py OUTDIR

timm (huggingface/pytorch-image-models) cannot be installed here, so this
script re-derives, from timm's source, the names and shapes of the tensors
that `timm.create_model(NAME).state_dict()` holds. It needs no third-party
package. Each rule cites the timm file and function it transcribes
(commit 01419346ca79f2c5612d991d00ec80d9262fadf1 for the EfficientNet
family; vgg.py and inception_v3.py at 066e490605ba1d3666861096163246c885603469;
mobilenetv3.py at 0173a139a2c66db3a41ebfe1d8ac4fb02483642e). For every NAME
it writes OUTDIR/NAME.txt, one tensor a line: the key, then the dimensions
separated by spaces (none for a scalar such as num_batches_tracked), in
the module registration order timm's state_dict() uses.

It is deliberately independent of Graft's Go code: it knows nothing of
Graft's node names, only timm's.
"""
import math
import os
import sys


def make_divisible(v, divisor=8, min_value=None, round_limit=0.9):
    # timm/layers/helpers.py make_divisible
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


def round_channels(channels, multiplier=1.0, divisor=8):
    # _efficientnet_builder.py round_channels
    if not multiplier:
        return channels
    return make_divisible(channels * multiplier, divisor)


class SD:
    def __init__(self):
        self.items = []

    def add(self, key, *shape):
        self.items.append((key, shape))

    def conv(self, name, out, inp, kh, kw=None, bias=False):
        self.add(name + ".weight", out, inp, kh, kh if kw is None else kw)
        if bias:
            self.add(name + ".bias", out)

    def bn(self, name, c):
        # torch.nn.BatchNorm2d: weight, bias, then buffers running_mean,
        # running_var, num_batches_tracked
        for s in ("weight", "bias", "running_mean", "running_var"):
            self.add(name + "." + s, c)
        self.add(name + ".num_batches_tracked")

    def linear(self, name, out, inp):
        self.add(name + ".weight", out, inp)
        self.add(name + ".bias", out)


# ---- ResNet: timm/models/resnet.py (BasicBlock, Bottleneck: conv1 bn1 conv2
# bn2 [conv3 bn3]; downsample_conv: Sequential(conv, norm) as downsample.0/.1;
# stem conv1 7x7 + bn1; head fc). Same names as torchvision.
RESNETS = {
    "resnet18": ("basic", [2, 2, 2, 2]),
    "resnet34": ("basic", [3, 4, 6, 3]),
    "resnet50": ("bottle", [3, 4, 6, 3]),
    "resnet101": ("bottle", [3, 4, 23, 3]),
    "resnet152": ("bottle", [3, 8, 36, 3]),
}


def resnet(name):
    block, depths = RESNETS[name]
    exp = 1 if block == "basic" else 4
    sd = SD()
    sd.conv("conv1", 64, 3, 7)
    sd.bn("bn1", 64)
    inp = 64
    for s, n in enumerate(depths):
        planes = 64 << s
        for b in range(n):
            p = "layer%d.%d." % (s + 1, b)
            stride = 2 if (b == 0 and s > 0) else 1
            if block == "basic":
                sd.conv(p + "conv1", planes, inp, 3)
                sd.bn(p + "bn1", planes)
                sd.conv(p + "conv2", planes, planes, 3)
                sd.bn(p + "bn2", planes)
            else:
                sd.conv(p + "conv1", planes, inp, 1)
                sd.bn(p + "bn1", planes)
                sd.conv(p + "conv2", planes, planes, 3)
                sd.bn(p + "bn2", planes)
                sd.conv(p + "conv3", planes * 4, planes, 1)
                sd.bn(p + "bn3", planes * 4)
            if stride != 1 or inp != planes * exp:
                sd.conv(p + "downsample.0", planes * exp, inp, 1)
                sd.bn(p + "downsample.1", planes * exp)
            inp = planes * exp
    sd.linear("fc", 1000, 512 * exp)
    return sd


# ---- EfficientNet family: _efficientnet_builder.py (_decode_block_str,
# _scale_stage_depth, EfficientNetBuilder._make_block: se_ratio /= exp_ratio
# unless se_from_exp) and _efficientnet_blocks.py (DepthwiseSeparableConv:
# conv_dw bn1 se conv_pw bn2; InvertedResidual: conv_pw bn1 conv_dw bn2 se
# conv_pwl bn3; ConvBnAct: conv bn1; SqueezeExcite: conv_reduce conv_expand
# with bias, rd_channels = rd_round_fn(in_chs * rd_ratio)).
def decode(block_str):
    ops = block_str.split("_")
    opts = {"type": ops[0]}
    for op in ops[1:]:
        if op in ("noskip", "skip") or op.startswith("n"):
            continue
        i = 0
        while i < len(op) and not op[i].isdigit():
            i += 1
        opts[op[:i]] = op[i:]
    return opts


def scale_depth(arch_def, depth_multiplier):
    # _scale_stage_depth with depth_trunc='ceil', one block string per stage
    # except MobileNet V3's, which are built with multiplier 1.
    out = []
    for stage in arch_def:
        blocks = []
        repeats = [int(decode(s)["r"]) for s in stage]
        total = sum(repeats)
        scaled = int(math.ceil(total * depth_multiplier))
        reps = []
        for r in repeats[::-1]:
            rs = max(1, round(r / total * scaled))
            reps.append(rs)
            total -= r
            scaled -= rs
        for s, rep in zip(stage, reps[::-1]):
            blocks += [decode(s)] * rep
        out.append(blocks)
    return out


def mobile_blocks(sd, stages, in_chs, round_chs, se_from_exp, se_round):
    for si, stage in enumerate(stages):
        for bi, o in enumerate(stage):
            p = "blocks.%d.%d." % (si, bi)
            out = round_chs(int(o["c"]))
            se = float(o.get("se", 0))
            t = o["type"]
            if t == "ds":
                k = int(o["k"])
                sd.conv(p + "conv_dw", in_chs, 1, k)
                sd.bn(p + "bn1", in_chs)
                if se:
                    rd = se_round(in_chs * se)  # exp_ratio absent: ratio unchanged
                    sd.conv(p + "se.conv_reduce", rd, in_chs, 1, bias=True)
                    sd.conv(p + "se.conv_expand", in_chs, rd, 1, bias=True)
                sd.conv(p + "conv_pw", out, in_chs, 1)
                sd.bn(p + "bn2", out)
            elif t == "ir":
                k, e = int(o["k"]), float(o["e"])
                mid = make_divisible(in_chs * e)
                sd.conv(p + "conv_pw", mid, in_chs, 1)
                sd.bn(p + "bn1", mid)
                sd.conv(p + "conv_dw", mid, 1, k)
                sd.bn(p + "bn2", mid)
                if se:
                    ratio = se if se_from_exp else se / e
                    rd = se_round(mid * ratio)
                    sd.conv(p + "se.conv_reduce", rd, mid, 1, bias=True)
                    sd.conv(p + "se.conv_expand", mid, rd, 1, bias=True)
                sd.conv(p + "conv_pwl", out, mid, 1)
                sd.bn(p + "bn3", out)
            elif t == "cn":
                k = int(o["k"])
                sd.conv(p + "conv", out, in_chs, k)
                sd.bn(p + "bn1", out)
            else:
                raise ValueError(t)
            in_chs = out
    return in_chs


# efficientnet.py _gen_efficientnet: arch_def, num_features=round_chs_fn(1280),
# stem_size=32 (rounded), act swish; EfficientNet: conv_stem bn1 blocks
# conv_head bn2 classifier. Registered multipliers (channel, depth):
EFFNETS = {
    "efficientnet_b0": (1.0, 1.0),
    "efficientnet_b1": (1.0, 1.1),
    "efficientnet_b2": (1.1, 1.2),
    "efficientnet_b3": (1.2, 1.4),
}
EFFNET_ARCH = [
    ["ds_r1_k3_s1_e1_c16_se0.25"],
    ["ir_r2_k3_s2_e6_c24_se0.25"],
    ["ir_r2_k5_s2_e6_c40_se0.25"],
    ["ir_r3_k3_s2_e6_c80_se0.25"],
    ["ir_r3_k5_s1_e6_c112_se0.25"],
    ["ir_r4_k5_s2_e6_c192_se0.25"],
    ["ir_r1_k3_s1_e6_c320_se0.25"],
]


def efficientnet(name):
    cm, dm = EFFNETS[name]
    rc = lambda c: round_channels(c, cm)
    sd = SD()
    stem = rc(32)
    sd.conv("conv_stem", stem, 3, 3)
    sd.bn("bn1", stem)
    head_in = mobile_blocks(sd, scale_depth(EFFNET_ARCH, dm), stem, rc, False, round)
    nf = rc(1280)
    sd.conv("conv_head", nf, head_in, 1)
    sd.bn("bn2", nf)
    sd.linear("classifier", 1000, nf)
    return sd


# efficientnet.py _gen_mobilenet_v2: num_features = max(1280, round_chs_fn(1280)),
# stem_size=32 rounded (fix_stem_head False), act relu6, no SE.
MNV2 = {"mobilenetv2_035": 0.35, "mobilenetv2_050": 0.5, "mobilenetv2_075": 0.75,
        "mobilenetv2_100": 1.0, "mobilenetv2_140": 1.4}
MNV2_ARCH = [
    ["ds_r1_k3_s1_c16"],
    ["ir_r2_k3_s2_e6_c24"],
    ["ir_r3_k3_s2_e6_c32"],
    ["ir_r4_k3_s2_e6_c64"],
    ["ir_r3_k3_s1_e6_c96"],
    ["ir_r3_k3_s2_e6_c160"],
    ["ir_r1_k3_s1_e6_c320"],
]


def mobilenetv2(name):
    cm = MNV2[name]
    rc = lambda c: round_channels(c, cm)
    sd = SD()
    stem = rc(32)
    sd.conv("conv_stem", stem, 3, 3)
    sd.bn("bn1", stem)
    head_in = mobile_blocks(sd, scale_depth(MNV2_ARCH, 1.0), stem, rc, False, round)
    nf = max(1280, rc(1280))
    sd.conv("conv_head", nf, head_in, 1)
    sd.bn("bn2", nf)
    sd.linear("classifier", 1000, nf)
    return sd


# mobilenetv3.py _gen_mobilenet_v3 (not 'minimal'): se_layer with
# rd_round_fn=round_channels, se_from_exp=True, stem_size=16 (fixed below
# multiplier 0.75), num_features 1280 / 1024 (not scaled); MobileNetV3:
# conv_stem bn1 blocks conv_head (bias, no norm) classifier.
MNV3 = {"mobilenetv3_large_100": ("large", 1.0), "mobilenetv3_small_100": ("small", 1.0),
        "mobilenetv3_large_075": ("large", 0.75), "mobilenetv3_small_075": ("small", 0.75),
        "mobilenetv3_small_050": ("small", 0.5)}
MNV3_LARGE = [
    ["ds_r1_k3_s1_e1_c16_nre"],
    ["ir_r1_k3_s2_e4_c24_nre", "ir_r1_k3_s1_e3_c24_nre"],
    ["ir_r3_k5_s2_e3_c40_se0.25_nre"],
    ["ir_r1_k3_s2_e6_c80", "ir_r1_k3_s1_e2.5_c80", "ir_r2_k3_s1_e2.3_c80"],
    ["ir_r2_k3_s1_e6_c112_se0.25"],
    ["ir_r3_k5_s2_e6_c160_se0.25"],
    ["cn_r1_k1_s1_c960"],
]
MNV3_SMALL = [
    ["ds_r1_k3_s2_e1_c16_se0.25_nre"],
    ["ir_r1_k3_s2_e4.5_c24_nre", "ir_r1_k3_s1_e3.67_c24_nre"],
    ["ir_r1_k5_s2_e4_c40_se0.25", "ir_r2_k5_s1_e6_c40_se0.25"],
    ["ir_r2_k5_s1_e3_c48_se0.25"],
    ["ir_r3_k5_s2_e6_c96_se0.25"],
    ["cn_r1_k1_s1_c576"],
]


def mobilenetv3(name):
    size, cm = MNV3[name]
    arch, nf = (MNV3_LARGE, 1280) if size == "large" else (MNV3_SMALL, 1024)
    rc = lambda c: round_channels(c, cm)
    sd = SD()
    stem = 16 if cm < 0.75 else rc(16)
    sd.conv("conv_stem", stem, 3, 3)
    sd.bn("bn1", stem)
    head_in = mobile_blocks(sd, scale_depth(arch, 1.0), stem, rc, True, lambda v: round_channels(v))
    sd.conv("conv_head", nf, head_in, 1, bias=True)
    sd.linear("classifier", 1000, nf)
    return sd


# ---- Inception V3: inception_v3.py (BasicConv2d: conv (no bias) + bn;
# InceptionA..E branch names; fc), built without AuxLogits (timm's default).
def inception_v3(name):
    sd = SD()

    def basic(n, out, inp, kh, kw=None):
        sd.conv(n + ".conv", out, inp, kh, kw)
        sd.bn(n + ".bn", out)

    basic("Conv2d_1a_3x3", 32, 3, 3)
    basic("Conv2d_2a_3x3", 32, 32, 3)
    basic("Conv2d_2b_3x3", 64, 32, 3)
    basic("Conv2d_3b_1x1", 80, 64, 1)
    basic("Conv2d_4a_3x3", 192, 80, 3)

    def a(n, inp, pool):
        basic(n + ".branch1x1", 64, inp, 1)
        basic(n + ".branch5x5_1", 48, inp, 1)
        basic(n + ".branch5x5_2", 64, 48, 5)
        basic(n + ".branch3x3dbl_1", 64, inp, 1)
        basic(n + ".branch3x3dbl_2", 96, 64, 3)
        basic(n + ".branch3x3dbl_3", 96, 96, 3)
        basic(n + ".branch_pool", pool, inp, 1)

    def b(n, inp):
        basic(n + ".branch3x3", 384, inp, 3)
        basic(n + ".branch3x3dbl_1", 64, inp, 1)
        basic(n + ".branch3x3dbl_2", 96, 64, 3)
        basic(n + ".branch3x3dbl_3", 96, 96, 3)

    def c(n, inp, c7):
        basic(n + ".branch1x1", 192, inp, 1)
        basic(n + ".branch7x7_1", c7, inp, 1)
        basic(n + ".branch7x7_2", c7, c7, 1, 7)
        basic(n + ".branch7x7_3", 192, c7, 7, 1)
        basic(n + ".branch7x7dbl_1", c7, inp, 1)
        basic(n + ".branch7x7dbl_2", c7, c7, 7, 1)
        basic(n + ".branch7x7dbl_3", c7, c7, 1, 7)
        basic(n + ".branch7x7dbl_4", c7, c7, 7, 1)
        basic(n + ".branch7x7dbl_5", 192, c7, 1, 7)
        basic(n + ".branch_pool", 192, inp, 1)

    def d(n, inp):
        basic(n + ".branch3x3_1", 192, inp, 1)
        basic(n + ".branch3x3_2", 320, 192, 3)
        basic(n + ".branch7x7x3_1", 192, inp, 1)
        basic(n + ".branch7x7x3_2", 192, 192, 1, 7)
        basic(n + ".branch7x7x3_3", 192, 192, 7, 1)
        basic(n + ".branch7x7x3_4", 192, 192, 3)

    def e(n, inp):
        basic(n + ".branch1x1", 320, inp, 1)
        basic(n + ".branch3x3_1", 384, inp, 1)
        basic(n + ".branch3x3_2a", 384, 384, 1, 3)
        basic(n + ".branch3x3_2b", 384, 384, 3, 1)
        basic(n + ".branch3x3dbl_1", 448, inp, 1)
        basic(n + ".branch3x3dbl_2", 384, 448, 3)
        basic(n + ".branch3x3dbl_3a", 384, 384, 1, 3)
        basic(n + ".branch3x3dbl_3b", 384, 384, 3, 1)
        basic(n + ".branch_pool", 192, inp, 1)

    a("Mixed_5b", 192, 32)
    a("Mixed_5c", 256, 64)
    a("Mixed_5d", 288, 64)
    b("Mixed_6a", 288)
    c("Mixed_6b", 768, 128)
    c("Mixed_6c", 768, 160)
    c("Mixed_6d", 768, 160)
    c("Mixed_6e", 768, 192)
    d("Mixed_7a", 768)
    e("Mixed_7b", 1280)
    e("Mixed_7c", 2048)
    sd.linear("fc", 1000, 2048)
    return sd


# ---- VGG: vgg.py (features as torchvision's; ConvMlp pre_logits.fc1 = 7x7
# conv 512->4096 with bias, pre_logits.fc2 = 1x1 conv 4096->4096;
# ClassifierHead head.fc).
VGGS = {
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def vgg(name):
    sd = SD()
    idx, inp = 0, 3
    for v in VGGS[name]:
        if v == "M":
            idx += 1
            continue
        sd.conv("features.%d" % idx, v, inp, 3, bias=True)
        idx += 2
        inp = v
    sd.conv("pre_logits.fc1", 4096, 512, 7, bias=True)
    sd.conv("pre_logits.fc2", 4096, 4096, 1, bias=True)
    sd.linear("head.fc", 1000, 4096)
    return sd


MODELS = {}
for n in RESNETS:
    MODELS[n] = resnet
for n in EFFNETS:
    MODELS[n] = efficientnet
for n in MNV2:
    MODELS[n] = mobilenetv2
for n in MNV3:
    MODELS[n] = mobilenetv3
MODELS["inception_v3"] = inception_v3
for n in VGGS:
    MODELS[n] = vgg


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, fn in sorted(MODELS.items()):
        sd = fn(name)
        keys = [k for k, _ in sd.items]
        assert len(keys) == len(set(keys)), name
        with open(os.path.join(out, name + ".txt"), "w") as f:
            for k, shape in sd.items:
                f.write(" ".join([k] + [str(d) for d in shape]) + "\n")


if __name__ == "__main__":
    main()
