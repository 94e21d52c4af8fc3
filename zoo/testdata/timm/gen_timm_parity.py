"""Writes reference logits of timm-architecture models, for zoo's timm parity test.

Usage: /usr/bin/python3 gen_timm_parity.py OUTDIR [NAME ...]

timm cannot be installed here, so each model is built as the torchvision
model that computes what timm's does (derived from timm's source, see
gen_timm_keys.py):

  mobilenetv3_small_100, mobilenetv3_large_100: torchvision's MobileNet V3
    with timm's BatchNorm (eps 1e-5, momentum 0.1 instead of 1e-3, 0.01);
    timm's conv_head (1x1 conv with bias after global pooling) computes
    torchvision's classifier.0 (Linear);
  efficientnet_b0, mobilenetv2_050: torchvision's models as they are
    (width 0.5 for the latter);
  vgg16: torchvision's; below 224x224 input both pool the feature map to
    7x7 before the classifier, so timm's 7x7-conv pre_logits compute the same.

The state dict is then renamed to timm's names by pairing torchvision's
tensors, in order, with the tensors gen_timm_keys.py lists for the model
(timm registers its modules in the same order; sizes are checked), and
reshaped to timm's shapes. Under torch.manual_seed(0) and with randomised
BatchNorm statistics, it writes into OUTDIR:

  NAME.pth        the timm-named state dict (torch.save)
  NAME.input.bin  2 random images, NHWC float32 little-endian
  NAME.output.bin the eval-mode logits, [2, 1000] float32 little-endian

and OUTDIR/manifest.json with each model's input shape and output shape.
"""
import functools
import json
import math
import os
import sys

import torch
import torchvision.models as tvm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_timm_keys  # noqa: E402

timm_bn = functools.partial(torch.nn.BatchNorm2d, eps=1e-5, momentum=0.1)
BUILD = {
    "mobilenetv3_small_100": lambda: tvm.mobilenet_v3_small(weights=None, norm_layer=timm_bn),
    "mobilenetv3_large_100": lambda: tvm.mobilenet_v3_large(weights=None, norm_layer=timm_bn),
    "efficientnet_b0": lambda: tvm.efficientnet_b0(weights=None),
    "mobilenetv2_050": lambda: tvm.mobilenet_v2(weights=None, width_mult=0.5),
    "vgg16": lambda: tvm.vgg16(weights=None),
}
NAMES = ["mobilenetv3_small_100", "mobilenetv3_large_100", "efficientnet_b0", "mobilenetv2_050"]


def randomise_bn(model, gen):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)


def to_timm(name, sd):
    timm = gen_timm_keys.MODELS[name](name).items
    src = [(k, v) for k, v in sd.items() if not k.endswith("num_batches_tracked")]
    dst = [(k, s) for k, s in timm if not k.endswith("num_batches_tracked")]
    assert len(src) == len(dst), (name, len(src), len(dst))
    out = {}
    for (sk, v), (dk, shape) in zip(src, dst):
        assert v.numel() == math.prod(shape), (name, sk, dk, tuple(v.shape), shape)
        out[dk] = v.reshape(shape).clone()
    for k, s in timm:
        if k.endswith("num_batches_tracked"):
            out[k] = torch.tensor(0)
    return out


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or NAMES
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    manifest = {}
    for name in names:
        torch.manual_seed(0)
        model = BUILD[name]()
        randomise_bn(model, torch.Generator().manual_seed(1))
        model.eval()
        x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            y = model(x)
        torch.save(to_timm(name, model.state_dict()), os.path.join(out, name + ".pth"))
        x.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tofile(os.path.join(out, name + ".input.bin"))
        y.contiguous().numpy().astype("<f4").tofile(os.path.join(out, name + ".output.bin"))
        manifest[name] = {"input": [2, 64, 64, 3], "output": list(y.shape)}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
