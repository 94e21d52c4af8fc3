"""Exports torchvision 0.14 models to ONNX for formats/onnx's parity test.

Usage: /usr/bin/python3 gen_torchvision_onnx.py OUTDIR [NAME[@OPSET][+dyn] ...]

Everything runs in one Python process. Each model is built without
pretrained weights under torch.manual_seed(0), every BatchNorm's affine
parameters and running statistics are randomised (so they matter in eval
mode), and the eval-mode model is exported by torch.onnx.export. A name may
carry "@OPSET" (default 13) to choose the operator set, and "+dyn" to make
the batch dimension symbolic, which makes the exporter emit
Shape/Gather/Unsqueeze/Concat subgraphs in front of Reshape. Writes into OUTDIR:

  KEY.onnx        the exported model (KEY is the name as given, '@' and '+' kept)
  KEY.input.bin   a batch of 2 random images, NCHW float32 little-endian
  KEY.output.bin  torch's eval-mode logits, [2, 1000] float32 little-endian

and OUTDIR/manifest.json with each key's input (NCHW) and output shapes. As
each model is written, a JSON line {"key", "input", "output"} goes to stdout,
so that a reader can test (and delete) it while the next one is exported.
Input sizes are small, as in zoo/testdata/gen_torchvision.py: 64x64, and
75x75 for Inception V3 (built with aux_logits=False, transform_input=False),
but VGG needs 224x224 (see SIZES).
"""
import json
import os
import sys

import torch
import torchvision.models as tvm

# torch.onnx exports AdaptiveAvgPool2d only when the output size divides the
# input size: VGG's 7x7 pool needs a 7x7 feature map, hence 224x224.
SIZES = {"inception_v3": 75, "vgg16": 224, "vgg19": 224}
NAMES = [
    "vgg16", "vgg19", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "inception_v3", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
    "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
    "mobilenet_v3_small@11", "mobilenet_v3_small@17", "resnet18+dyn",
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


def parse_key(key):
    name, dyn = key, False
    if name.endswith("+dyn"):
        name, dyn = name[:-4], True
    opset = 13
    if "@" in name:
        name, v = name.split("@", 1)
        opset = int(v)
    return name, opset, dyn


def skip_onnx_checker():
    """torch.onnx.export runs ONNX's full checker over every file, a fifth of
    the export time for these models; the Go importer validates the files
    itself, so the generator skips it (torch 1.13 calls it through torch._C)."""
    if hasattr(torch._C, "_check_onnx_proto"):
        torch._C._check_onnx_proto = lambda *args, **kwargs: None


def main():
    skip_onnx_checker()
    out = sys.argv[1]
    keys = sys.argv[2:] or NAMES
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    manifest = {}
    for key in keys:
        name, opset, dyn = parse_key(key)
        torch.manual_seed(0)
        model = build(name)
        randomise_bn(model, torch.Generator().manual_seed(1))
        model.eval()
        size = SIZES.get(name, 64)
        x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            y = model(x)
        axes = {"input": {0: "batch"}, "logits": {0: "batch"}} if dyn else None
        torch.onnx.export(model, x, os.path.join(out, key + ".onnx"), opset_version=opset,
                          input_names=["input"], output_names=["logits"], dynamic_axes=axes)
        x.contiguous().numpy().astype("<f4").tofile(os.path.join(out, key + ".input.bin"))
        y.contiguous().numpy().astype("<f4").tofile(os.path.join(out, key + ".output.bin"))
        manifest[key] = {"input": list(x.shape), "output": list(y.shape)}
        print(json.dumps(dict(key=key, **manifest[key])), flush=True)
        del model, x, y
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
