#!/usr/bin/python3
"""Reference fixtures for zoo/kerasapps, without TensorFlow.

Builds the keras.applications flavour of an architecture in PyTorch
(NCHW, TF "same" padding, Keras BatchNorm, Keras layer names) with
deterministic random weights, runs it in eval mode on a fixed input and
writes, into OUTDIR:

  <top file>.h5     weight-only file, Keras 2 save_weights layout, with the top
  <notop file>.h5   the same weights without the top
  <case>.ref.h5     input (NHWC), logits, probs (softmax) and features
                    (the base's NHWC feature map)
  manifest.json     per case: arch, alpha, size, classes, file names

The weight-only layout is Keras's: root attributes layer_names (every
layer, the input and weightless layers included), backend, keras_version;
one group per layer with attribute weight_names and datasets named like
"conv1_conv/kernel:0"; kernels HWIO, depthwise kernels [H, W, C, 1], dense
kernels [in, out], BatchNorm gamma/beta/moving_mean/moving_variance.

Usage: /usr/bin/python3 gen_keras_apps.py OUTDIR CASE...   (cases below)
"""
import json
import math
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

# case: arch, width multiplier, input size, classes, top and notop file names.
CASES = {
    'mobilenet': ('mobilenet', 0.25, 64, 10, 'mobilenet_2_5_64_tf.h5', 'mobilenet_2_5_64_tf_no_top.h5'),
    'mobilenet_v2': ('mobilenet_v2', 0.35, 72, 10,
                     'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_72.h5',
                     'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_72_no_top.h5'),
    'resnet50': ('resnet50', 1.0, 64, 10, 'resnet50_weights_tf_dim_ordering_tf_kernels.h5',
                 'resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5'),
    'vgg16': ('vgg16', 1.0, 64, 10, 'vgg16_weights_tf_dim_ordering_tf_kernels.h5',
              'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5'),
    'inception_v3': ('inception_v3', 1.0, 75, 10, 'inception_v3_weights_tf_dim_ordering_tf_kernels.h5',
                     'inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5'),
    'mobilenet_v3_small': ('mobilenet_v3_small', 0.75, 64, 10, 'weights_mobilenet_v3_small_224_0.75_float.h5',
                           'weights_mobilenet_v3_small_224_0.75_float_no_top_v2.h5'),
    'mobilenet_v3_large': ('mobilenet_v3_large', 1.0, 67, 10, 'weights_mobilenet_v3_large_224_1.0_float.h5',
                           'weights_mobilenet_v3_large_224_1.0_float_no_top_v2.h5'),
    'efficientnet_b0': ('efficientnet_b0', 1.0, 64, 10, 'efficientnetb0.h5', 'efficientnetb0_notop.h5'),
}

# Architectures that scale their own [0, 255] input. MobileNetV3Large runs at
# an odd size, where correct_pad pads 5x5 depthwise inputs (2, 2).
OWN_SCALING = ('mobilenet_v3_small', 'mobilenet_v3_large', 'efficientnet_b0')


class K:
    """Runs a Keras-flavour network eagerly on x (NCHW), creating each
    layer's weights on first use and recording the layers in order."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)
        self.layers = []  # (name, [(weight name, numpy array)])
        self.counts = {}
        self.base_end = None

    def auto(self, prefix):
        # Keras 2.0's numbering, as in the release files: conv2d_1, conv2d_2 ...
        k = self.counts.get(prefix, 0) + 1
        self.counts[prefix] = k
        return '%s_%d' % (prefix, k)

    def rand(self, *shape, scale=1.0):
        return (torch.rand(*shape, generator=self.g) * 2 - 1) * scale

    def record(self, name, weights=()):
        self.layers.append((name, [(name + '/' + w + ':0', a.detach().numpy().astype(np.float32)) for w, a in weights]))

    def mark_base(self):
        self.base_end = len(self.layers)

    @staticmethod
    def same_pad(x, kh, kw, s):
        h, w = x.shape[2], x.shape[3]
        ph = max((math.ceil(h / s) - 1) * s + kh - h, 0)
        pw = max((math.ceil(w / s) - 1) * s + kw - w, 0)
        return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))

    def conv(self, name, x, filters, kh, kw, s=1, same=True, bias=True, act=None):
        cin = x.shape[1]
        w = self.rand(filters, cin, kh, kw, scale=math.sqrt(3.0 / (cin * kh * kw)))
        ws = [('kernel', w.permute(2, 3, 1, 0))]
        b = None
        if bias:
            b = self.rand(filters, scale=0.1)
            ws.append(('bias', b))
        if same:
            x = self.same_pad(x, kh, kw, s)
        y = F.conv2d(x, w, b, stride=s)
        self.record(name, ws)
        if act == 'relu':
            y = F.relu(y)
        elif act == 'swish':
            y = F.silu(y)
        elif act == 'sigmoid':
            y = torch.sigmoid(y)
        return y

    def depthwise(self, name, x, s, same, k=3):
        c = x.shape[1]
        w = self.rand(c, 1, k, k, scale=math.sqrt(3.0 / (k * k)))
        if same:
            x = self.same_pad(x, k, k, s)
        y = F.conv2d(x, w, None, stride=s, groups=c)
        self.record(name, [('depthwise_kernel', w.permute(2, 3, 0, 1))])
        return y

    def bn(self, name, x, eps=1e-3, scale=True):
        c = x.shape[1]
        gamma = 0.5 + torch.rand(c, generator=self.g)
        beta = self.rand(c, scale=0.2)
        mean = self.rand(c, scale=0.2)
        var = 0.5 + torch.rand(c, generator=self.g)
        ws = [('gamma', gamma)] if scale else []
        ws += [('beta', beta), ('moving_mean', mean), ('moving_variance', var)]
        self.record(name, ws)
        g = gamma if scale else torch.ones(c)
        return F.batch_norm(x, mean, var, g, beta, training=False, eps=eps)

    def dense(self, name, x, units, act=None):
        w = self.rand(units, x.shape[1], scale=math.sqrt(3.0 / x.shape[1]))
        b = self.rand(units, scale=0.1)
        self.record(name, [('kernel', w.t()), ('bias', b)])
        y = F.linear(x, w, b)
        return F.relu(y) if act == 'relu' else y

    def plain(self, name, y):
        self.record(name)
        return y


def vgg16(k, x, classes, _alpha):
    k.plain('input_1', x)
    for b, (reps, f) in enumerate(zip([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]), 1):
        for i in range(1, reps + 1):
            x = k.conv('block%d_conv%d' % (b, i), x, f, 3, 3, act='relu')
        x = k.plain('block%d_pool' % b, F.max_pool2d(x, 2, 2))
    k.mark_base()
    feat = x
    x = k.plain('flatten', x.permute(0, 2, 3, 1).reshape(x.shape[0], -1))  # Keras flattens NHWC
    x = k.dense('fc1', x, 4096, 'relu')
    x = k.dense('fc2', x, 4096, 'relu')
    return feat, k.dense('predictions', x, classes)


def resnet50(k, x, classes, _alpha):
    eps = 1.001e-5
    k.plain('input_1', x)
    x = k.plain('conv1_pad', F.pad(x, (3, 3, 3, 3)))
    x = k.conv('conv1_conv', x, 64, 7, 7, 2, same=False)
    x = k.plain('conv1_relu', F.relu(k.bn('conv1_bn', x, eps)))
    x = k.plain('pool1_pad', F.pad(x, (1, 1, 1, 1)))
    x = k.plain('pool1_pool', F.max_pool2d(x, 3, 2))
    for s, (blocks, f) in enumerate(zip([3, 4, 6, 3], [64, 128, 256, 512])):
        for b in range(1, blocks + 1):
            name = 'conv%d_block%d' % (s + 2, b)
            stride = 2 if (b == 1 and s > 0) else 1
            if b == 1:
                sc = k.conv(name + '_0_conv', x, 4 * f, 1, 1, stride, same=False)
                sc = k.bn(name + '_0_bn', sc, eps)
            else:
                sc = x
            y = k.conv(name + '_1_conv', x, f, 1, 1, stride, same=False)
            y = k.plain(name + '_1_relu', F.relu(k.bn(name + '_1_bn', y, eps)))
            y = k.conv(name + '_2_conv', y, f, 3, 3)
            y = k.plain(name + '_2_relu', F.relu(k.bn(name + '_2_bn', y, eps)))
            y = k.conv(name + '_3_conv', y, 4 * f, 1, 1, same=False)
            y = k.bn(name + '_3_bn', y, eps)
            y = k.plain(name + '_add', sc + y)
            x = k.plain(name + '_out', F.relu(y))
    k.mark_base()
    feat = x
    x = k.plain('avg_pool', x.mean((2, 3)))
    return feat, k.dense('predictions', x, classes)


def inception_v3(k, x, classes, _alpha):
    def cbn(x, f, kh, kw, s=1, same=True):
        x = k.conv(k.auto('conv2d'), x, f, kh, kw, s, same=same, bias=False)
        x = k.bn(k.auto('batch_normalization'), x, scale=False)
        return k.plain(k.auto('activation'), F.relu(x))

    def avgb(x, f):
        p = k.plain(k.auto('average_pooling2d'), F.avg_pool2d(x, 3, 1, 1, count_include_pad=False))
        return cbn(p, f, 1, 1)

    def cat(name, *xs):
        return k.plain(name, torch.cat(xs, 1))

    k.plain('input_1', x)
    x = cbn(x, 32, 3, 3, 2, False)
    x = cbn(x, 32, 3, 3, 1, False)
    x = cbn(x, 64, 3, 3)
    x = k.plain(k.auto('max_pooling2d'), F.max_pool2d(x, 3, 2))
    x = cbn(x, 80, 1, 1, 1, False)
    x = cbn(x, 192, 3, 3, 1, False)
    x = k.plain(k.auto('max_pooling2d'), F.max_pool2d(x, 3, 2))
    for i, pf in enumerate([32, 64, 64]):
        b1 = cbn(x, 64, 1, 1)
        b5 = cbn(cbn(x, 48, 1, 1), 64, 5, 5)
        b3 = cbn(cbn(cbn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
        x = cat('mixed%d' % i, b1, b5, b3, avgb(x, pf))
    b3 = cbn(x, 384, 3, 3, 2, False)
    bd = cbn(cbn(cbn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3, 2, False)
    x = cat('mixed3', b3, bd, k.plain(k.auto('max_pooling2d'), F.max_pool2d(x, 3, 2)))
    for i, f in enumerate([128, 160, 160, 192]):
        b1 = cbn(x, 192, 1, 1)
        b7 = cbn(cbn(cbn(x, f, 1, 1), f, 1, 7), 192, 7, 1)
        bd = cbn(cbn(cbn(cbn(cbn(x, f, 1, 1), f, 7, 1), f, 1, 7), f, 7, 1), 192, 1, 7)
        x = cat('mixed%d' % (4 + i), b1, b7, bd, avgb(x, 192))
    b3 = cbn(cbn(x, 192, 1, 1), 320, 3, 3, 2, False)
    b7 = cbn(cbn(cbn(cbn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1), 192, 3, 3, 2, False)
    x = cat('mixed8', b3, b7, k.plain(k.auto('max_pooling2d'), F.max_pool2d(x, 3, 2)))
    for i in range(2):
        b1 = cbn(x, 320, 1, 1)
        b3 = cbn(x, 384, 1, 1)
        b3 = cat('mixed9_%d' % i, cbn(b3, 384, 1, 3), cbn(b3, 384, 3, 1))
        bd = cbn(cbn(x, 448, 1, 1), 384, 3, 3)
        bd1 = cbn(bd, 384, 1, 3)
        bd2 = cbn(bd, 384, 3, 1)
        bd = cat(k.auto('concatenate'), bd1, bd2)
        x = cat('mixed%d' % (9 + i), b1, b3, bd, avgb(x, 192))
    k.mark_base()
    feat = x
    x = k.plain('avg_pool', x.mean((2, 3)))
    return feat, k.dense('predictions', x, classes)


def relu6(x):
    return x.clamp(0, 6)


def mobilenet(k, x, classes, alpha):
    k.plain('input_1', x)
    x = k.conv('conv1', x, int(32 * alpha), 3, 3, 2, bias=False)
    x = k.plain('conv1_relu', relu6(k.bn('conv1_bn', x)))
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1),
              (512, 1), (512, 1), (1024, 2), (1024, 1)]
    for i, (f, s) in enumerate(blocks, 1):
        if s == 2:
            x = k.plain('conv_pad_%d' % i, F.pad(x, (0, 1, 0, 1)))
        x = k.depthwise('conv_dw_%d' % i, x, s, s == 1)
        x = k.plain('conv_dw_%d_relu' % i, relu6(k.bn('conv_dw_%d_bn' % i, x)))
        x = k.conv('conv_pw_%d' % i, x, int(f * alpha), 1, 1, bias=False)
        x = k.plain('conv_pw_%d_relu' % i, relu6(k.bn('conv_pw_%d_bn' % i, x)))
    k.mark_base()
    feat = x
    x = k.plain('global_average_pooling2d_1', x.mean((2, 3), keepdim=True))
    x = k.plain('reshape_1', x)
    x = k.plain('dropout', x)
    x = k.conv('conv_preds', x, classes, 1, 1)
    x = k.plain('reshape_2', x.flatten(1))
    return feat, k.plain('predictions', x)


def make_divisible(v, d=8):
    nv = max(d, int(v + d / 2) // d * d)
    return nv + d if nv < 0.9 * v else nv


def mobilenet_v2(k, x, classes, alpha):
    k.plain('input_1', x)
    x = k.conv('Conv1', x, make_divisible(32 * alpha), 3, 3, 2, bias=False)
    x = k.plain('Conv1_relu', relu6(k.bn('bn_Conv1', x)))
    blocks = [(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6),
              (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6),
              (320, 1, 6)]
    for bid, (f, s, e) in enumerate(blocks):
        inp, cin = x, x.shape[1]
        out = make_divisible(int(f * alpha))
        p = 'block_%d_' % bid if bid else 'expanded_conv_'
        if bid:
            x = k.conv(p + 'expand', x, e * cin, 1, 1, bias=False)
            x = k.plain(p + 'expand_relu', relu6(k.bn(p + 'expand_BN', x)))
        if s == 2:
            h, w = x.shape[2], x.shape[3]
            x = k.plain(p + 'pad', F.pad(x, (w % 2, 1, h % 2, 1)))  # correct_pad
        x = k.depthwise(p + 'depthwise', x, s, s == 1)
        x = k.plain(p + 'depthwise_relu', relu6(k.bn(p + 'depthwise_BN', x)))
        x = k.bn(p + 'project_BN', k.conv(p + 'project', x, out, 1, 1, bias=False))
        if cin == out and s == 1:
            x = k.plain(p + 'add', inp + x)
    x = k.conv('Conv_1', x, 1280, 1, 1, bias=False, same=False)
    x = k.plain('out_relu', relu6(k.bn('Conv_1_bn', x)))
    k.mark_base()
    feat = x
    x = k.plain('global_average_pooling2d_1', x.mean((2, 3)))
    return feat, k.dense('predictions', x, classes)


def correct_pad(x, k):
    # keras.applications' correct_pad as F.pad's (left, right, top, bottom).
    h, w = x.shape[2], x.shape[3]
    return F.pad(x, (k // 2 - 1 + w % 2, k // 2, k // 2 - 1 + h % 2, k // 2))


def mnv3_depth(v):
    return make_divisible(v, 8)


# MobileNetV3 blocks: expansion, filters, kernel (0: 5, or 3 when
# minimalistic), stride, squeeze-and-excite, hard swish (else ReLU).
MNV3_SMALL = [(1, 16, 3, 2, True, False), (72 / 16, 24, 3, 2, False, False), (88 / 24, 24, 3, 1, False, False),
              (4, 40, 0, 2, True, True), (6, 40, 0, 1, True, True), (6, 40, 0, 1, True, True),
              (3, 48, 0, 1, True, True), (3, 48, 0, 1, True, True),
              (6, 96, 0, 2, True, True), (6, 96, 0, 1, True, True), (6, 96, 0, 1, True, True)]
MNV3_LARGE = [(1, 16, 3, 1, False, False), (4, 24, 3, 2, False, False), (3, 24, 3, 1, False, False),
              (3, 40, 0, 2, True, False), (3, 40, 0, 1, True, False), (3, 40, 0, 1, True, False),
              (6, 80, 3, 2, False, True), (2.5, 80, 3, 1, False, True), (2.3, 80, 3, 1, False, True),
              (2.3, 80, 3, 1, False, True), (6, 112, 3, 1, True, True), (6, 112, 3, 1, True, True),
              (6, 160, 0, 2, True, True), (6, 160, 0, 1, True, True), (6, 160, 0, 1, True, True)]


def mobilenet_v3(k, x, classes, alpha, large):
    # Keras 2 (tf.keras) MobileNetV3, layer names as in the release files.
    # Hard sigmoid is TFOpLambda(+3), ReLU(6.), TFOpLambda(*1/6) in Keras:
    # the weightless names are recorded, torch's hardsigmoid computes it.
    def hsig(x):
        k.plain(k.auto('tf.__operators__.add'), x)
        k.plain(k.auto('re_lu'), x)
        return k.plain(k.auto('tf.math.multiply'), F.hardsigmoid(x))

    def hswish(x):
        return k.plain(k.auto('multiply'), x * hsig(x))

    def relu(x):
        return k.plain(k.auto('re_lu'), F.relu(x))

    def bn(name, x):
        return k.bn(name, x, eps=1e-3)

    k.plain('input_1', x)
    x = k.plain(k.auto('rescaling'), x / 127.5 - 1)
    x = hswish(bn('Conv/BatchNorm', k.conv('Conv', x, 16, 3, 3, 2, bias=False)))
    for bid, (e, f, ks, s, se, hs) in enumerate(MNV3_LARGE if large else MNV3_SMALL):
        act = hswish if hs else relu
        ks = ks or 5
        inp, cin = x, x.shape[1]
        out = mnv3_depth(f * alpha)
        exp = mnv3_depth(cin * e)
        p = 'expanded_conv_%d/' % bid if bid else 'expanded_conv/'
        if bid:
            x = act(bn(p + 'expand/BatchNorm', k.conv(p + 'expand', x, exp, 1, 1, bias=False)))
        if s == 2:
            x = k.plain(p + 'depthwise/pad', correct_pad(x, ks))
        x = act(bn(p + 'depthwise/BatchNorm', k.depthwise(p + 'depthwise', x, s, s == 1, ks)))
        if se:
            q = k.plain(p + 'squeeze_excite/AvgPool', x.mean((2, 3), keepdim=True))
            q = k.conv(p + 'squeeze_excite/Conv', q, mnv3_depth(exp * 0.25), 1, 1)
            q = k.plain(p + 'squeeze_excite/Relu', F.relu(q))
            q = k.conv(p + 'squeeze_excite/Conv_1', q, exp, 1, 1)
            x = k.plain(p + 'squeeze_excite/Mul', x * hsig(q))
        x = bn(p + 'project/BatchNorm', k.conv(p + 'project', x, out, 1, 1, bias=False))
        if s == 1 and cin == out:
            x = k.plain(p + 'Add', inp + x)
    x = hswish(bn('Conv_1/BatchNorm', k.conv('Conv_1', x, mnv3_depth(x.shape[1] * 6), 1, 1, bias=False)))
    k.mark_base()
    feat = x
    x = k.plain(k.auto('global_average_pooling2d'), x.mean((2, 3), keepdim=True))
    x = hswish(k.conv('Conv_2', x, 1280 if large else 1024, 1, 1))
    x = k.plain(k.auto('dropout'), x)
    x = k.conv('Logits', x, classes, 1, 1)
    x = k.plain(k.auto('flatten'), x.flatten(1))
    return feat, k.plain('Predictions', x)


def mobilenet_v3_small(k, x, classes, alpha):
    return mobilenet_v3(k, x, classes, alpha, False)


def mobilenet_v3_large(k, x, classes, alpha):
    return mobilenet_v3(k, x, classes, alpha, True)


# EfficientNet stages: kernel, repeats, filters in, out, expansion, stride.
EFF_STAGES = [(3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2),
              (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2), (3, 1, 192, 320, 6, 1)]


def efficientnet_b0(k, x, classes, _alpha):
    # keras.applications.EfficientNetB0 as built with weights="imagenet":
    # Rescaling, Normalization (weights mean, variance, count), the Rescaling
    # by 1/sqrt(std), stem, blocks, top. The Normalization is auto-named.
    k.plain('input_1', x)
    x = k.plain(k.auto('rescaling'), x / 255)
    mean = k.rand(3, scale=0.5)
    var = 0.05 + torch.rand(3, generator=k.g)
    k.layers.append((k.auto('normalization'), [
        ('normalization/mean:0', mean.numpy()), ('normalization/variance:0', var.numpy()),
        ('normalization/count:0', np.array(1000, np.int64))]))
    x = (x - mean.view(1, 3, 1, 1)) / var.sqrt().view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225])
    x = k.plain(k.auto('rescaling'), x / std.sqrt().view(1, 3, 1, 1))
    x = k.plain('stem_conv_pad', correct_pad(x, 3))
    x = k.conv('stem_conv', x, 32, 3, 3, 2, same=False, bias=False)
    x = k.plain('stem_activation', F.silu(k.bn('stem_bn', x)))
    for i, (ks, reps, fin, fout, e, s) in enumerate(EFF_STAGES, 1):
        for j in range(reps):
            if j:
                fin, s = fout, 1
            p = 'block%d%s_' % (i, chr(97 + j))
            inp = x
            ch = fin * e
            if e != 1:
                x = k.conv(p + 'expand_conv', x, ch, 1, 1, bias=False)
                x = k.plain(p + 'expand_activation', F.silu(k.bn(p + 'expand_bn', x)))
            if s == 2:
                x = k.plain(p + 'dwconv_pad', correct_pad(x, ks))
            x = k.depthwise(p + 'dwconv', x, s, s == 1, ks)
            x = k.plain(p + 'activation', F.silu(k.bn(p + 'bn', x)))
            q = k.plain(p + 'se_squeeze', x.mean((2, 3)))
            q = k.plain(p + 'se_reshape', q.view(q.shape[0], ch, 1, 1))
            q = k.conv(p + 'se_reduce', q, max(1, fin // 4), 1, 1, act='swish')
            q = k.conv(p + 'se_expand', q, ch, 1, 1, act='sigmoid')
            x = k.plain(p + 'se_excite', x * q)
            x = k.bn(p + 'project_bn', k.conv(p + 'project_conv', x, fout, 1, 1, bias=False))
            if s == 1 and fin == fout:
                x = k.plain(p + 'drop', x)  # drop-connect: rate 0 only for block1a, which has no residual
                x = k.plain(p + 'add', x + inp)
    x = k.plain('top_activation', F.silu(k.bn('top_bn', k.conv('top_conv', x, 1280, 1, 1, bias=False))))
    k.mark_base()
    feat = x
    x = k.plain('avg_pool', x.mean((2, 3)))
    x = k.plain('top_dropout', x)
    return feat, k.dense('predictions', x, classes)


def write_weights(path, layers):
    # Names with "/" (MobileNetV3's "Conv/BatchNorm") are nested groups, as
    # h5py makes them; a group may already exist as another's parent.
    with h5py.File(path, 'w') as f:
        f.attrs['layer_names'] = np.array([n.encode() for n, _ in layers])
        f.attrs['backend'] = b'tensorflow'
        f.attrs['keras_version'] = b'2.2.4'
        for name, ws in layers:
            g = f.require_group(name)
            g.attrs['weight_names'] = np.array([w.encode() for w, _ in ws]) if ws else np.array([])
            for w, a in ws:
                g.create_dataset(w, data=a)


def main():
    out = sys.argv[1]
    torch.set_num_threads(2)
    manifest = {}
    for case in sys.argv[2:]:
        arch, alpha, size, classes, top_file, notop_file = CASES[case]
        k = K(seed=1234)
        x = torch.rand(2, 3, size, size, generator=k.g) * 2 - 1
        if case in OWN_SCALING:
            x = (x + 1) * 127.5
        with torch.no_grad():
            feat, logits = globals()[arch](k, x, classes, alpha)
        write_weights('%s/%s' % (out, top_file), k.layers)
        write_weights('%s/%s' % (out, notop_file), k.layers[:k.base_end])
        with h5py.File('%s/%s.ref.h5' % (out, case), 'w') as f:
            f['input'] = x.permute(0, 2, 3, 1).numpy()
            f['logits'] = logits.numpy()
            f['probs'] = torch.softmax(logits, 1).numpy()
            f['features'] = feat.permute(0, 2, 3, 1).numpy()
        manifest[case] = {'arch': arch, 'alpha': alpha, 'size': size, 'classes': classes,
                          'top': top_file, 'notop': notop_file}
    with open('%s/manifest.json' % out, 'w') as f:
        json.dump(manifest, f, indent=1)


if __name__ == '__main__':
    main()
