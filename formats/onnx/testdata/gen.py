"""Writes ONNX fixtures for formats/onnx's tests with Debian's torch 1.13.

Run from this folder:  /usr/bin/python3 gen.py
Each model is exported by torch.onnx (opset 13 unless named otherwise, eval
mode) with fixed random weights; <name>.io.json holds a random NCHW input and torch's output for it.
"""
import json
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)


class SmallNet(nn.Module):
    """Conv/BN/ReLU, a residual Add, pools, Concat, SE-style Mul, Flatten of a
    spatial map (a layout trap for NHWC importers) and Gemm."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1, groups=2)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.se1 = nn.Conv2d(16, 4, 1)
        self.se2 = nn.Conv2d(4, 16, 1)
        self.c3 = nn.Conv2d(16, 6, 1)
        self.fc = nn.Linear(6 * 3 * 3, 5)
        with torch.no_grad():
            self.bn1.running_mean.uniform_(-0.5, 0.5)
            self.bn1.running_var.uniform_(0.5, 1.5)
            self.bn1.weight.uniform_(0.5, 1.5)
            self.bn1.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        x = F.relu(self.bn1(self.c1(x)))
        y = F.relu6(self.c2(x))
        x = x + y
        z = F.hardswish(self.dw(x))
        x = torch.cat([x, z], dim=1)
        s = F.adaptive_avg_pool2d(x, 1)
        s = torch.sigmoid(self.se2(F.leaky_relu(self.se1(s), 0.1)))
        x = x * s
        x = F.max_pool2d(x, 3, stride=2, padding=1)
        x = F.avg_pool2d(F.pad(x, (1, 0, 1, 0)), 2, stride=1)
        x = F.hardsigmoid(self.c3(x))
        x = torch.flatten(x, 1)
        return F.softmax(self.fc(x), dim=1)


class OpsNet(nn.Module):
    """The operators the torchvision exports do not reach: Sub/Div/Mul/Add
    with constant operands (per channel and scalar, either side), a general
    Clip, x.view(x.size(0), -1) over a symbolic batch (Shape, Gather,
    Unsqueeze, Concat into Reshape), a [N, C] -> [N, C, 1, 1] view gating a
    feature map, and F.pad."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.4, 0.5, 0.6]).view(3, 1, 1))
        self.register_buffer("std", torch.tensor([0.2, 0.25, 0.3]).view(3, 1, 1))
        self.c1 = nn.Conv2d(3, 6, 3, stride=2)
        self.gate = nn.Linear(6, 6)
        self.fc = nn.Linear(6 * 4 * 4, 4)

    def forward(self, x):
        x = (x - self.mean) / self.std
        x = torch.clamp(self.c1(F.pad(x, (1, 1, 1, 1))), -1.0, 2.0)
        x = 1.5 - torch.sigmoid(x * 2.0 + 0.25)
        g = self.gate(F.adaptive_avg_pool2d(x, 1).flatten(1))
        x = x * torch.sigmoid(g).view(g.size(0), 6, 1, 1)
        x = F.max_pool2d(x, 2)
        return self.fc(x.view(x.size(0), -1))


def export(name, model, shape, opset=13, dynamic=False):
    model.eval()
    x = torch.randn(*shape)
    with torch.no_grad():
        y = model(x)
    axes = {"input": {0: "batch"}, "output": {0: "batch"}} if dynamic else None
    torch.onnx.export(model, x, name + ".onnx", opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes=axes)
    with open(name + ".io.json", "w") as f:
        json.dump({"input_nchw": list(x.shape), "input": x.reshape(-1).tolist(), "output_shape": list(y.shape),
                   "output": y.reshape(-1).tolist()}, f)


export("smallnet", SmallNet(), (2, 3, 12, 12))
export("opsnet", OpsNet(), (2, 3, 16, 16), dynamic=True)
export("opsnet_opset10", OpsNet(), (2, 3, 16, 16), opset=10)
