#!/usr/bin/python3
"""Writes PyTorch reference fixtures for nn/parity_test.go.

Run from nn/testdata/parity with Debian's /usr/bin/python3 (torch 1.13):

    /usr/bin/python3 gen_parity.py

Each case is one safetensors file <case>.safetensors (written by hand: torch
1.13 has no safetensors package) holding float32 tensors in Graft layouts:
images NHWC (PyTorch's NCHW permuted), convolution kernels HWIO (OIHW
permuted), depthwise kernels [KH, KW, C, M], Dense kernels [in, out]
(Linear's [out, in] transposed).

  x, x1, x2 ...        the inputs (x for single-input layers)
  <param>              initial parameters: kernel, bias, gamma, beta,
                       moving_mean, moving_variance
  y                    forward output
  dy                   the random upstream gradient fed to backward
  grad/x, grad/x1 ...  input gradients
  grad/<param>         parameter gradients
  after/<state>        running statistics after a training forward
  labels, weight,      loss targets (class indices or probabilities),
  pos_weight           class weights, BCE positive weights (losses take
                       dy = 1: grad/x is d loss / d logits; y is a scalar)

The metadata holds "kind" and "config" (JSON) so the Go test builds the
layer without repeating the numbers. Inputs are rounded to float32 first and
the reference is computed in float64 on those exact values, then stored as
float32.
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
OUT = os.path.dirname(os.path.abspath(__file__))


def f32(t):
    """Rounds a tensor to float32 values, returned as float64."""
    return t.float().double()


def rand(*shape, scale=1.0):
    return f32(torch.randn(*shape, dtype=torch.float64) * scale)


def nhwc(t):
    return t.permute(0, 2, 3, 1) if t.dim() == 4 else t


def hwio(w):
    return w.permute(2, 3, 1, 0)


def write(name, kind, config, tensors):
    """Writes one case: tensors is a list of (name, float64 tensor)."""
    header = {"__metadata__": {"kind": kind, "config": json.dumps(config, sort_keys=True)}}
    data = b""
    for tname, t in tensors:
        raw = np.ascontiguousarray(t.detach().numpy().astype("<f4")).tobytes()
        header[tname] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        f.write(data)


def run(fn, inputs, params):
    """Runs fn(*inputs, **params) forward and backward with a random
    upstream gradient; returns y, dy, input grads, param grads."""
    for t in list(inputs) + list(params.values()):
        t.requires_grad_(True)
    y = fn(*inputs, **params)
    dy = rand(*y.shape)
    y.backward(dy)
    return y, dy, [t.grad for t in inputs], {k: v.grad for k, v in params.items()}


def image_case(name, kind, config, fn, xs, params, layout=None):
    """A case whose inputs and output are images (NCHW here, NHWC stored).
    layout maps a parameter name to its converter to Graft layout."""
    layout = layout or {}
    y, dy, dxs, dps = run(fn, xs, params)
    names = ["x"] if len(xs) == 1 else ["x%d" % i for i in range(len(xs))]
    tensors = [(n, nhwc(x)) for n, x in zip(names, xs)]
    tensors += [(k, layout.get(k, lambda t: t)(v)) for k, v in params.items()]
    tensors += [("y", nhwc(y)), ("dy", nhwc(dy))]
    tensors += [("grad/" + n, nhwc(g)) for n, g in zip(names, dxs)]
    tensors += [("grad/" + k, layout.get(k, lambda t: t)(g)) for k, g in dps.items()]
    write(name, kind, config, tensors)


def conv_cases():
    cfgs = [
        # name, N, C, H, W, filters, k, stride, pad (t,b,l,r), dilation, groups, bias
        ("conv_3x3_stride2_pad1", 2, 3, 9, 8, 4, (3, 3), 2, (1, 1, 1, 1), 1, 1, True),
        ("conv_3x3_pad_asym", 1, 3, 6, 7, 5, (3, 3), 1, (0, 1, 2, 1), 1, 1, True),
        ("conv_3x3_dilation2", 2, 4, 9, 9, 3, (3, 3), 1, (2, 2, 2, 2), 2, 1, True),
        ("conv_3x3_groups2", 2, 4, 7, 6, 6, (3, 3), 1, (1, 1, 1, 1), 1, 2, True),
        ("conv_1x1", 2, 5, 4, 3, 7, (1, 1), 1, (0, 0, 0, 0), 1, 1, True),
        ("conv_1x1_stride2_nobias", 2, 4, 5, 5, 3, (1, 1), 2, (0, 0, 0, 0), 1, 1, False),
        ("conv_5x5_odd", 1, 3, 11, 9, 4, (5, 5), 3, (2, 2, 2, 2), 1, 1, True),
        ("conv_3x2_rect", 2, 2, 7, 8, 3, (3, 2), 2, (1, 0, 0, 1), 1, 1, True),
    ]
    for name, n, c, h, w, oc, k, s, pad, d, g, bias in cfgs:
        x = rand(n, c, h, w)
        params = {"kernel": rand(oc, c // g, k[0], k[1], scale=0.3)}
        if bias:
            params["bias"] = rand(oc, scale=0.1)

        def fn(x, kernel, bias=None, pad=pad, s=s, d=d, g=g):
            t, b, l, r = pad
            return F.conv2d(F.pad(x, (l, r, t, b)), kernel, bias, stride=s, dilation=d, groups=g)

        cfg = {"in_channels": c, "filters": oc, "kernel": list(k), "stride": s, "padding": list(pad),
               "dilation": d, "groups": g, "bias": bias}
        image_case(name, "Conv2D", cfg, fn, [x], params, {"kernel": hwio})


def depthwise_cases():
    for name, c, mult, s, pad, bias in [
        ("depthwise_mult1", 4, 1, 1, (1, 1, 1, 1), True),
        ("depthwise_mult2_stride2", 3, 2, 2, (1, 1, 1, 1), True),
        ("depthwise_mult1_nobias_valid", 5, 1, 1, (0, 0, 0, 0), False),
    ]:
        x = rand(2, c, 7, 6)
        params = {"kernel": rand(c * mult, 1, 3, 3, scale=0.3)}
        if bias:
            params["bias"] = rand(c * mult, scale=0.1)

        def fn(x, kernel, bias=None, pad=pad, s=s, c=c):
            t, b, l, r = pad
            return F.conv2d(F.pad(x, (l, r, t, b)), kernel, bias, stride=s, groups=c)

        cfg = {"channels": c, "multiplier": mult, "kernel": [3, 3], "stride": s, "padding": list(pad), "bias": bias}
        # Graft's depthwise kernel is [KH, KW, C, M] (Keras), the same memory
        # order as HWIO's [KH, KW, 1, C*M].
        image_case(name, "DepthwiseConv2D", cfg, fn, [x], params,
                   {"kernel": lambda w, c=c, m=mult: hwio(w).reshape(3, 3, c, m)})


def dense_cases():
    for name, n, i, o, bias in [("dense", 4, 6, 5, True), ("dense_nobias", 3, 7, 2, False)]:
        x = rand(n, i)
        params = {"kernel": rand(o, i, scale=0.4)}
        if bias:
            params["bias"] = rand(o, scale=0.1)
        image_case(name, "Dense", {"in": i, "out": o, "bias": bias},
                   lambda x, kernel, bias=None: F.linear(x, kernel, bias), [x], params, {"kernel": lambda w: w.t()})


def batchnorm_cases():
    c = 5
    for name, train, momentum, eps, shape in [
        ("batchnorm_train", True, 0.1, 1e-5, (3, c, 4, 5)),
        ("batchnorm_train_momentum03", True, 0.3, 1e-3, (2, c, 3, 3)),
        ("batchnorm_eval", False, 0.1, 1e-5, (2, c, 4, 3)),
        ("batchnorm_train_dense", True, 0.1, 1e-5, (6, c)),
    ]:
        x = rand(*shape, scale=2.0) + 0.5
        gamma, beta = f32(1 + 0.3 * torch.randn(c, dtype=torch.float64)), rand(c, scale=0.2)
        rm, rv = rand(c, scale=0.3), f32(0.5 + torch.rand(c, dtype=torch.float64))
        rm_after, rv_after = rm.clone(), rv.clone()

        def fn(x, gamma, beta):
            return F.batch_norm(x, rm_after, rv_after, gamma, beta, training=train, momentum=momentum, eps=eps)

        y, dy, (dx,), dps = run(fn, [x], {"gamma": gamma, "beta": beta})
        tensors = [("x", nhwc(x)), ("gamma", gamma), ("beta", beta), ("moving_mean", rm), ("moving_variance", rv),
                   ("y", nhwc(y)), ("dy", nhwc(dy)), ("grad/x", nhwc(dx)), ("grad/gamma", dps["gamma"]),
                   ("grad/beta", dps["beta"]), ("after/moving_mean", rm_after), ("after/moving_variance", rv_after)]
        write(name, "BatchNorm", {"channels": c, "training": train, "momentum": momentum, "epsilon": eps}, tensors)


def activation_cases():
    acts = [
        ("relu", "ReLU", {}, F.relu),
        ("relu6", "ReLU6", {}, F.relu6),
        ("leaky_relu", "LeakyReLU", {"alpha": 0.1}, lambda x: F.leaky_relu(x, 0.1)),
        ("sigmoid", "Sigmoid", {}, torch.sigmoid),
        ("silu", "SiLU", {}, F.silu),
        ("hardswish", "Hardswish", {}, F.hardswish),
        ("hardsigmoid", "Hardsigmoid", {}, F.hardsigmoid),
    ]
    for name, kind, cfg, fn in acts:
        # Scale 4 reaches every piece of the piecewise functions (|x| > 3, > 6).
        image_case(name, kind, cfg, fn, [rand(2, 3, 4, 5, scale=4.0)], {})


def softmax_cases():
    image_case("softmax_2d", "Softmax", {}, lambda x: F.softmax(x, dim=-1), [rand(4, 7, scale=3.0)], {})
    image_case("softmax_4d", "Softmax", {}, lambda x: F.softmax(x, dim=1), [rand(2, 5, 3, 2, scale=3.0)], {})


def pool_cases():
    for name, k, s, p, ceil in [("maxpool_2x2", 2, 2, 0, False), ("maxpool_3x3_s2_p1", 3, 2, 1, False),
                                ("maxpool_3x3_s1_p1", 3, 1, 1, False), ("maxpool_2x3_s1", (2, 3), 1, 0, False),
                                ("maxpool_3x3_s2_ceil", 3, 2, 0, True)]:
        kk = list(k) if isinstance(k, tuple) else [k, k]
        image_case(name, "MaxPool", {"kernel": kk, "stride": s, "padding": p, "ceil_mode": ceil},
                   lambda x, k=k, s=s, p=p, ceil=ceil: F.max_pool2d(x, k, s, p, ceil_mode=ceil), [rand(2, 3, 7, 8)], {})
    for name, k, s, p, incl, ceil in [("avgpool_2x2", 2, 2, 0, True, False),
                                      ("avgpool_3x3_s2_p1_incl", 3, 2, 1, True, False),
                                      ("avgpool_3x3_s2_p1_excl", 3, 2, 1, False, False),
                                      ("avgpool_3x3_s1_p1_excl", 3, 1, 1, False, False),
                                      # ceil mode: PyTorch divides the last window by the part
                                      # inside the padded image (incl) or the image (excl).
                                      ("avgpool_3x3_s2_p1_ceil_incl", 3, 2, 1, True, True),
                                      ("avgpool_2x2_ceil_excl", 2, 2, 0, False, True)]:
        image_case(name, "AvgPool", {"kernel": [k, k], "stride": s, "padding": p, "count_include_pad": incl,
                                     "ceil_mode": ceil},
                   lambda x, k=k, s=s, p=p, incl=incl, ceil=ceil: F.avg_pool2d(x, k, s, p, ceil_mode=ceil,
                                                                              count_include_pad=incl),
                   [rand(2, 3, 7, 8)], {})
    # AdaptiveAvgPool2d(1): stored as [N, 1, 1, C] (NHWC of PyTorch's output).
    image_case("global_avgpool", "GlobalAvgPool", {}, lambda x: F.adaptive_avg_pool2d(x, 1), [rand(2, 4, 5, 3)], {})


def shape_cases():
    image_case("zeropad2d", "ZeroPad2d", {"padding": [1, 2, 0, 3]},  # top, bottom, left, right
               lambda x: F.pad(x, (0, 3, 1, 2)), [rand(2, 3, 4, 5)], {})
    # Graft flattens NHWC in H, W, C order (Keras); the reference flattens the
    # NHWC tensor, not PyTorch's NCHW one.
    image_case("flatten", "Flatten", {}, lambda x: torch.flatten(x.permute(0, 2, 3, 1), 1), [rand(2, 3, 4, 5)], {})
    image_case("dropout_eval", "Dropout", {"rate": 0.5, "training": False},
               lambda x: F.dropout(x, 0.5, training=False), [rand(2, 3, 4, 5)], {})
    image_case("dropout_p0_train", "Dropout", {"rate": 0.0, "training": True},
               lambda x: F.dropout(x, 0.0, training=True), [rand(2, 3, 4, 5)], {})


def merge_cases():
    image_case("add", "Add", {}, lambda a, b: a + b, [rand(2, 3, 4, 5), rand(2, 3, 4, 5)], {})
    image_case("add3", "Add", {}, lambda a, b, c: a + b + c, [rand(2, 3, 2, 2), rand(2, 3, 2, 2), rand(2, 3, 2, 2)], {})
    image_case("mul", "Mul", {}, lambda a, b: a * b, [rand(2, 3, 4, 5), rand(2, 3, 4, 5)], {})
    # Squeeze-and-excitation: [N, C, H, W] * [N, C, 1, 1].
    image_case("mul_se_broadcast", "Mul", {}, lambda a, b: a * b, [rand(2, 6, 4, 5), rand(2, 6, 1, 1)], {})
    image_case("concat", "Concat", {"axis": -1}, lambda a, b, c: torch.cat([a, b, c], dim=1),
               [rand(2, 3, 4, 5), rand(2, 1, 4, 5), rand(2, 4, 4, 5)], {})


def loss_cases():
    n, k = 6, 5
    labels = torch.tensor([0, 4, 2, 2, 1, 3])
    weight = f32(0.5 + torch.rand(k, dtype=torch.float64))
    for name, smoothing, w in [("cross_entropy", 0.0, None), ("cross_entropy_smoothing", 0.1, None),
                               ("cross_entropy_weight", 0.0, weight), ("cross_entropy_weight_smoothing", 0.2, weight)]:
        logits = rand(n, k, scale=2.0).requires_grad_(True)
        loss = F.cross_entropy(logits, labels, weight=w, label_smoothing=smoothing)
        loss.backward()
        tensors = [("x", logits), ("labels", labels.double()), ("y", loss), ("grad/x", logits.grad)]
        if w is not None:
            tensors.append(("weight", w))
        write(name, "CrossEntropyLoss", {"label_smoothing": smoothing, "weighted": w is not None}, tensors)
    # Probability targets (rows summing to one) with smoothing.
    logits = rand(n, k, scale=2.0).requires_grad_(True)
    probs = f32(torch.softmax(torch.randn(n, k, dtype=torch.float64), dim=1))
    loss = F.cross_entropy(logits, probs, label_smoothing=0.1)
    loss.backward()
    write("cross_entropy_probs_smoothing", "CrossEntropyLoss", {"label_smoothing": 0.1, "weighted": False},
          [("x", logits), ("labels", probs), ("y", loss), ("grad/x", logits.grad)])
    for name, pw in [("bce_with_logits", None), ("bce_with_logits_pos_weight", f32(0.5 + 2 * torch.rand(k, dtype=torch.float64)))]:
        logits = rand(n, k, scale=2.0).requires_grad_(True)
        targets = f32(torch.rand(n, k, dtype=torch.float64))
        targets[:, :2] = targets[:, :2].round()  # hard and soft targets
        loss = F.binary_cross_entropy_with_logits(logits, targets, pos_weight=pw)
        loss.backward()
        tensors = [("x", logits), ("labels", targets), ("y", loss), ("grad/x", logits.grad)]
        if pw is not None:
            tensors.append(("pos_weight", pw))
        write(name, "BCEWithLogitsLoss", {}, tensors)


def main():
    for old in os.listdir(OUT):
        if old.endswith(".safetensors"):
            os.remove(os.path.join(OUT, old))
    conv_cases()
    depthwise_cases()
    dense_cases()
    batchnorm_cases()
    activation_cases()
    softmax_cases()
    pool_cases()
    shape_cases()
    merge_cases()
    loss_cases()


if __name__ == "__main__":
    main()
