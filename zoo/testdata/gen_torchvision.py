"""Writes torchvision 0.14 reference models for zoo's parity test.

Usage: /usr/bin/python3 gen_torchvision.py OUTDIR [NAME ...]

For each model (all of them without NAMEs) it builds the torchvision
architecture without pretrained weights under torch.manual_seed(0),
randomises every BatchNorm's affine parameters and running statistics (so
they matter in eval mode), and writes into OUTDIR:

  NAME.pth        the state dict (torch.save)
  NAME.input.bin  a batch of 2 random images, NHWC float32 little-endian
  NAME.output.bin the eval-mode logits, [2, 1000] float32 little-endian

and OUTDIR/manifest.json with each model's input size and parameter count.
Inception V3 is built with aux_logits=False and transform_input=False (the
architecture Graft builds); stochastic depth and dropout are identities in
eval mode.
"""
import json
import os
import sys

import torch
import torchvision.models as tvm

SIZES = {"inception_v3": 75}  # the architecture's minimum; others use 64
NAMES = [
    "vgg16", "vgg19", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "inception_v3", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
    "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
]


def build(name):
    if name == "inception_v3":
        return tvm.inception_v3(weights=None, aux_logits=False, transform_input=False, init_weights=True)
    return getattr(tvm, name)(weights=None)


def randomise_bn(model, gen):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or NAMES
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    manifest = {}
    for name in names:
        torch.manual_seed(0)
        model = build(name)
        randomise_bn(model, torch.Generator().manual_seed(1))
        model.eval()
        size = SIZES.get(name, 64)
        x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            y = model(x)
        torch.save(model.state_dict(), os.path.join(out, name + ".pth"))
        x.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tofile(os.path.join(out, name + ".input.bin"))
        y.contiguous().numpy().astype("<f4").tofile(os.path.join(out, name + ".output.bin"))
        manifest[name] = {
            "input": [2, size, size, 3],
            "output": list(y.shape),
            "params": sum(p.numel() for p in model.parameters()),
        }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
