#!/usr/bin/python3
"""Writes the Keras fixtures of formats/keras (no TensorFlow needed).

Run from this directory with Debian's Python (numpy + h5py):
    /usr/bin/python3 make_fixtures.py

It describes two small models (a functional CNN using every supported layer
class, and a Sequential holding a nested Functional "base"), gives them
seeded random weights, and writes:
  tiny_k2.h5, tiny_k2_latest.h5   whole-model HDF5 as Keras 2 writes it
                                  (h5py libver "earliest" and "latest")
  tiny_k2.json, tiny_weights.h5   the config alone and a save_weights file
  tiny_k3.json, tiny_k3.keras     Keras 3 config spelling and .keras zip
  tiny_tfjs/                      TF.js float32, weights split over 2 shards
  tiny_tfjs_u8/                   TF.js uint8-quantised
  nested_k2.h5, nested_k3.keras   the nested model in both layouts
  expected.json                   the input and the numpy outputs
The outputs come from a float64 numpy forward pass of the same models.
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np

rng = np.random.default_rng(20261129)
H = W = 8
BATCH = 2


# ---------------------------------------------------------------- models
class L:
    def __init__(self, name, cls, cfg, inputs, weights=()):
        self.name, self.cls, self.cfg, self.inputs = name, cls, dict(cfg), list(inputs)
        self.cfg['name'] = name
        self.weights = list(weights)  # [(short name, array)]


def rnd(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def bn_weights(c, center=True, scale=True):
    ws = []
    if scale:
        ws.append(('gamma', (1 + rnd(c, scale=0.2)).astype(np.float32)))
    if center:
        ws.append(('beta', rnd(c, scale=0.2)))
    ws.append(('moving_mean', rnd(c, scale=0.3)))
    ws.append(('moving_variance', (0.5 + rng.random(c)).astype(np.float32)))
    return ws


def tiny_layers():
    return [
        L('input_1', 'InputLayer', {'batch_input_shape': [None, H, W, 3], 'dtype': 'float32'}, []),
        L('norm', 'Normalization', {'axis': -1}, ['input_1'],
          [('mean', rnd(3, scale=0.2)), ('variance', (0.5 + rng.random(3)).astype(np.float32)),
           ('count', np.array(100, dtype=np.int64))]),
        L('rescale', 'Rescaling', {'scale': 0.5, 'offset': -0.25}, ['norm']),
        L('conv1', 'Conv2D', {'filters': 4, 'kernel_size': [3, 3], 'strides': [1, 1], 'padding': 'same',
                              'data_format': 'channels_last', 'dilation_rate': [1, 1], 'activation': 'relu',
                              'use_bias': True}, ['rescale'], [('kernel', rnd(3, 3, 3, 4)), ('bias', rnd(4))]),
        L('bn1', 'BatchNormalization', {'axis': -1, 'momentum': 0.99, 'epsilon': 0.001, 'center': True,
                                        'scale': True}, ['conv1'], bn_weights(4)),
        L('relu6', 'ReLU', {'max_value': 6.0, 'negative_slope': 0.0, 'threshold': 0.0}, ['bn1']),
        L('pad', 'ZeroPadding2D', {'padding': [[0, 1], [0, 1]], 'data_format': 'channels_last'}, ['relu6']),
        L('dw', 'DepthwiseConv2D', {'kernel_size': [3, 3], 'strides': [2, 2], 'padding': 'valid',
                                    'depth_multiplier': 2, 'data_format': 'channels_last',
                                    'dilation_rate': [1, 1], 'activation': 'linear', 'use_bias': False},
          ['pad'], [('depthwise_kernel', rnd(3, 3, 4, 2))]),
        L('bn2', 'BatchNormalization', {'axis': 3, 'momentum': 0.99, 'epsilon': 0.001, 'center': True,
                                        'scale': False}, ['dw'], bn_weights(8, scale=False)),
        L('act', 'Activation', {'activation': 'swish'}, ['bn2']),
        L('sep', 'SeparableConv2D', {'filters': 8, 'kernel_size': [3, 3], 'strides': [1, 1], 'padding': 'same',
                                     'depth_multiplier': 1, 'data_format': 'channels_last',
                                     'dilation_rate': [1, 1], 'activation': 'sigmoid', 'use_bias': True},
          ['act'], [('depthwise_kernel', rnd(3, 3, 8, 1)), ('pointwise_kernel', rnd(1, 1, 8, 8)),
                    ('bias', rnd(8))]),
        L('conv2', 'Conv2D', {'filters': 8, 'kernel_size': [1, 1], 'strides': [1, 1], 'padding': 'valid',
                              'data_format': 'channels_last', 'dilation_rate': [1, 1], 'activation': 'linear',
                              'use_bias': True}, ['act'], [('kernel', rnd(1, 1, 8, 8)), ('bias', rnd(8))]),
        L('add', 'Add', {}, ['sep', 'conv2']),
        L('maxpool', 'MaxPooling2D', {'pool_size': [2, 2], 'strides': [2, 2], 'padding': 'same',
                                      'data_format': 'channels_last'}, ['add']),
        L('avgpool', 'AveragePooling2D', {'pool_size': [3, 3], 'strides': [1, 1], 'padding': 'same',
                                          'data_format': 'channels_last'}, ['add']),
        L('gap', 'GlobalAveragePooling2D', {'data_format': 'channels_last'}, ['avgpool']),
        L('gmp', 'GlobalMaxPooling2D', {'data_format': 'channels_last'}, ['maxpool']),
        L('mul', 'Multiply', {}, ['gap', 'gmp']),
        L('cat', 'Concatenate', {'axis': -1}, ['gap', 'mul']),
        L('leaky', 'LeakyReLU', {'alpha': 0.1}, ['cat']),
        L('flat', 'Flatten', {'data_format': 'channels_last'}, ['maxpool']),
        L('dense0', 'Dense', {'units': 4, 'activation': 'relu', 'use_bias': True}, ['flat'],
          [('kernel', rnd(32, 4)), ('bias', rnd(4))]),
        L('cat2', 'Concatenate', {'axis': -1}, ['leaky', 'dense0']),
        L('drop', 'Dropout', {'rate': 0.5}, ['cat2']),
        L('reshape', 'Reshape', {'target_shape': [4, 5]}, ['drop']),
        L('flat2', 'Flatten', {}, ['reshape']),
        L('dense1', 'Dense', {'units': 5, 'activation': 'softmax', 'use_bias': True}, ['flat2'],
          [('kernel', rnd(20, 5)), ('bias', rnd(5))]),
    ]


def base_layers():
    """The nested Functional model ("base") of the Sequential model."""
    return [
        L('base_input', 'InputLayer', {'batch_input_shape': [None, H, W, 3], 'dtype': 'float32'}, []),
        L('Conv1', 'Conv2D', {'filters': 6, 'kernel_size': [3, 3], 'strides': [2, 2], 'padding': 'same',
                              'data_format': 'channels_last', 'dilation_rate': [1, 1], 'activation': 'linear',
                              'use_bias': False}, ['base_input'], [('kernel', rnd(3, 3, 3, 6))]),
        L('bn_Conv1', 'BatchNormalization', {'axis': -1, 'momentum': 0.999, 'epsilon': 0.001,
                                             'center': True, 'scale': True}, ['Conv1'], bn_weights(6)),
        L('Conv1_relu', 'ReLU', {'max_value': 6.0}, ['bn_Conv1']),
    ]


def nested_outer_layers():
    return [
        L('gap_out', 'GlobalAveragePooling2D', {}, []),
        L('head', 'Dense', {'units': 3, 'activation': 'softmax', 'use_bias': True}, [],
          [('kernel', rnd(6, 3)), ('bias', rnd(3))]),
    ]


# ---------------------------------------------------------------- configs
def keras2_functional(name, layers, out):
    cfg_layers = []
    for l in layers:
        nodes = [] if l.cls == 'InputLayer' else [[[i, 0, 0, {}] for i in l.inputs]]
        cfg_layers.append({'class_name': l.cls, 'name': l.name, 'config': l.cfg, 'inbound_nodes': nodes})
    return {'class_name': 'Functional', 'config': {'name': name, 'layers': cfg_layers,
                                                   'input_layers': [[layers[0].name, 0, 0]],
                                                   'output_layers': [[out, 0, 0]]}}


def k3_cfg(l):
    cfg = dict(l.cfg)
    if 'batch_input_shape' in cfg:
        cfg['batch_shape'] = cfg.pop('batch_input_shape')
    if l.cls == 'LeakyReLU':
        cfg['negative_slope'] = cfg.pop('alpha')
    return cfg


def keras3_functional(name, layers, out):
    cfg_layers = []
    for l in layers:
        tensors = [{'class_name': '__keras_tensor__', 'config': {'shape': None, 'dtype': 'float32',
                                                                  'keras_history': [i, 0, 0]}}
                   for i in l.inputs]
        if l.cls == 'InputLayer':
            nodes = []
        elif len(tensors) > 1:
            nodes = [{'args': [tensors], 'kwargs': {}}]
        else:
            nodes = [{'args': tensors, 'kwargs': {'training': False} if l.cls == 'Dropout' else {}}]
        cfg_layers.append({'module': 'keras.layers', 'class_name': l.cls, 'config': k3_cfg(l),
                           'registered_name': None, 'name': l.name, 'inbound_nodes': nodes})
    return {'module': 'keras', 'class_name': 'Functional', 'registered_name': 'Functional',
            'config': {'name': name, 'trainable': True, 'layers': cfg_layers,
                       'input_layers': [layers[0].name, 0, 0], 'output_layers': [out, 0, 0]}}


def nested_config(k3):
    base = (keras3_functional if k3 else keras2_functional)('base', base_layers(), 'Conv1_relu')
    base['name'] = 'base'
    outer = []
    if k3:
        outer.append({'module': 'keras.layers', 'class_name': 'InputLayer',
                      'config': {'batch_shape': [None, H, W, 3], 'dtype': 'float32', 'name': 'image'}})
    outer.append(base)
    for l in nested_outer_layers():
        e = {'class_name': l.cls, 'config': l.cfg}
        if k3:
            e['module'] = 'keras.layers'
        outer.append(e)
    if not k3:
        # Keras 2 Sequential: the first layer carries the input shape.
        base['config']['batch_input_shape'] = [None, H, W, 3]
    return {'class_name': 'Sequential', 'config': {'name': 'nested', 'layers': outer}}


# ---------------------------------------------------------------- writers
def write_k2_weights(group, layers_with_weights, all_names):
    """Keras 2 layout: layer_names on group, weight_names per layer group."""
    group.attrs['layer_names'] = np.array([n.encode() for n in all_names])
    group.attrs['backend'] = b'tensorflow'
    group.attrs['keras_version'] = b'2.13.1'
    for lname, ws in layers_with_weights:
        g = group.create_group(lname)
        g.attrs['weight_names'] = np.array([w[0].encode() for w in ws]) if ws else np.array([])
        for wname, arr in ws:
            g.create_dataset(wname, data=arr)


def k2_weight_list(layers, prefix=''):
    return [(l.name, [(f'{prefix}{l.name}/{s}:0', a) for s, a in l.weights]) for l in layers]


def write_k2_model(path, config, layers_with_weights, all_names, libver):
    with h5py.File(path, 'w', libver=libver) as f:
        f.attrs['keras_version'] = '2.13.1'
        f.attrs['backend'] = 'tensorflow'
        f.attrs['model_config'] = json.dumps(config)
        write_k2_weights(f.create_group('model_weights'), layers_with_weights, all_names)


def write_k3_weights(f, groups):
    """Keras 3 layout: layers/<path>/vars/<i>."""
    for path, ws in groups:
        g = f.require_group('layers/' + '/layers/'.join(path) + '/vars')
        for i, (_, arr) in enumerate(ws):
            g.create_dataset(str(i), data=arr)


def write_keras_zip(path, config, groups):
    buf = io.BytesIO()
    with h5py.File(buf, 'w') as f:
        write_k3_weights(f, groups)
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('metadata.json', json.dumps({'keras_version': '3.3.3', 'date_saved': '2026-11-29@00:00:00'}))
        z.writestr('config.json', json.dumps(config))
        z.writestr('model.weights.h5', buf.getvalue())


def quantize_u8(a):
    a = a.astype(np.float32).ravel()
    lo, hi = float(a.min()), float(a.max())
    scale = (hi - lo) / 255 if hi > lo else 1.0
    q = np.round((a - lo) / scale).clip(0, 255).astype(np.uint8)
    deq = (q.astype(np.float64) * scale + lo).astype(np.float32)
    return q, {'dtype': 'uint8', 'scale': scale, 'min': lo}, deq


def write_tfjs(dirname, config, layers, quant):
    os.makedirs(dirname, exist_ok=True)
    specs, chunks, deq_weights = [], [], {}
    for l in layers:
        deq_weights[l.name] = []
        for s, a in l.weights:
            if a.dtype == np.int64:  # Normalization's count
                a = a.astype(np.float32)
            spec = {'name': f'{l.name}/{s}', 'shape': list(a.shape), 'dtype': 'float32'}
            if quant:
                q, spec['quantization'], d = quantize_u8(a)
                chunks.append(q.tobytes())
                deq_weights[l.name].append((s, d.reshape(a.shape)))
            else:
                chunks.append(a.astype('<f4').tobytes())
                deq_weights[l.name].append((s, a))
            specs.append(spec)
    data = b''.join(chunks)
    half = len(data) // 2
    paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin']
    for p, part in zip(paths, [data[:half], data[half:]]):
        with open(os.path.join(dirname, p), 'wb') as fh:
            fh.write(part)
    model = {'format': 'layers-model', 'generatedBy': 'make_fixtures.py', 'convertedBy': None,
             'modelTopology': {'keras_version': '2.13.1', 'backend': 'tensorflow', 'model_config': config},
             'weightsManifest': [{'paths': paths, 'weights': specs}]}
    with open(os.path.join(dirname, 'model.json'), 'w') as fh:
        json.dump(model, fh)
    return deq_weights


# ---------------------------------------------------------------- numpy forward
def same_pads(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def pad_hw(x, t, b, l, r, value=0.0):
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=value)


def windows(x, kh, kw, sh, sw):
    n, h, w, c = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.empty((n, oh, ow, kh, kw, c), x.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, :, i, j, :] = x[:, i:i + sh * oh:sh, j:j + sw * ow:sw, :]
    return out


def conv(x, k, stride, padding):
    kh, kw = k.shape[:2]
    if padding == 'same':
        t, b = same_pads(x.shape[1], kh, stride)
        l, r = same_pads(x.shape[2], kw, stride)
        x = pad_hw(x, t, b, l, r)
    return np.einsum('nhwijc,ijcf->nhwf', windows(x, kh, kw, stride, stride), k)


def depthwise(x, k, stride, padding):
    kh, kw, c, m = k.shape
    if padding == 'same':
        t, b = same_pads(x.shape[1], kh, stride)
        l, r = same_pads(x.shape[2], kw, stride)
        x = pad_hw(x, t, b, l, r)
    y = np.einsum('nhwijc,ijcm->nhwcm', windows(x, kh, kw, stride, stride), k)
    return y.reshape(y.shape[0], y.shape[1], y.shape[2], c * m)


def pool(x, k, s, padding, kind):
    if padding == 'same':
        t, b = same_pads(x.shape[1], k, s)
        l, r = same_pads(x.shape[2], k, s)
    else:
        t = b = l = r = 0
    if kind == 'max':
        return windows(pad_hw(x, t, b, l, r, -np.inf), k, k, s, s).max(axis=(3, 4))
    total = windows(pad_hw(x, t, b, l, r), k, k, s, s).sum(axis=(3, 4))
    count = windows(pad_hw(np.ones_like(x[..., :1]), t, b, l, r), k, k, s, s).sum(axis=(3, 4))
    return total / count


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def activate(x, name):
    return {'linear': lambda v: v, 'relu': lambda v: np.maximum(v, 0), 'sigmoid': sigmoid,
            'swish': lambda v: v * sigmoid(v),
            'softmax': lambda v: np.exp(v - v.max(-1, keepdims=True)) /
            np.exp(v - v.max(-1, keepdims=True)).sum(-1, keepdims=True)}[name](x)


def forward(layers, weights, inputs):
    vals = dict(inputs)
    for l in layers:
        if l.cls == 'InputLayer':
            continue
        xs = [vals[i] for i in l.inputs]
        x = xs[0]
        w = dict(weights[l.name])
        c = l.cfg
        if l.cls == 'Normalization':
            y = (x - w['mean']) / np.maximum(np.sqrt(w['variance']), 1e-7)
        elif l.cls == 'Rescaling':
            y = x * c['scale'] + c['offset']
        elif l.cls == 'Conv2D':
            y = conv(x, w['kernel'].astype(np.float64), c['strides'][0], c['padding'])
            if 'bias' in w:
                y = y + w['bias']
            y = activate(y, c['activation'])
        elif l.cls == 'DepthwiseConv2D':
            y = activate(depthwise(x, w['depthwise_kernel'].astype(np.float64), c['strides'][0], c['padding']),
                         c['activation'])
        elif l.cls == 'SeparableConv2D':
            y = depthwise(x, w['depthwise_kernel'].astype(np.float64), c['strides'][0], c['padding'])
            y = conv(y, w['pointwise_kernel'].astype(np.float64), 1, 'valid') + w['bias']
            y = activate(y, c['activation'])
        elif l.cls == 'BatchNormalization':
            y = (x - w['moving_mean']) / np.sqrt(w['moving_variance'].astype(np.float64) + c['epsilon'])
            y = y * w.get('gamma', 1.0) + w.get('beta', 0.0)
        elif l.cls == 'ReLU':
            y = np.minimum(np.maximum(x, 0), c.get('max_value') or np.inf)
        elif l.cls == 'LeakyReLU':
            y = np.where(x > 0, x, c['alpha'] * x)
        elif l.cls == 'Activation':
            y = activate(x, c['activation'])
        elif l.cls == 'ZeroPadding2D':
            (t, b), (lft, r) = c['padding']
            y = pad_hw(x, t, b, lft, r)
        elif l.cls == 'Add':
            y = xs[0] + xs[1]
        elif l.cls == 'Multiply':
            y = xs[0] * xs[1]
        elif l.cls == 'Concatenate':
            y = np.concatenate(xs, axis=-1)
        elif l.cls == 'MaxPooling2D':
            y = pool(x, c['pool_size'][0], c['strides'][0], c['padding'], 'max')
        elif l.cls == 'AveragePooling2D':
            y = pool(x, c['pool_size'][0], c['strides'][0], c['padding'], 'avg')
        elif l.cls == 'GlobalAveragePooling2D':
            y = x.mean(axis=(1, 2))
        elif l.cls == 'GlobalMaxPooling2D':
            y = x.max(axis=(1, 2))
        elif l.cls in ('Flatten', 'Reshape'):
            y = x.reshape(x.shape[0], *c.get('target_shape', [-1]))
        elif l.cls == 'Dropout':
            y = x
        elif l.cls == 'Dense':
            y = activate(x @ w['kernel'].astype(np.float64) + w['bias'], c['activation'])
        else:
            raise ValueError(l.cls)
        vals[l.name] = y
    return vals


def weights_of(layers):
    return {l.name: [(s, a.astype(np.float64)) for s, a in l.weights] for l in layers}


def main():
    x = rng.random((BATCH, H, W, 3)).astype(np.float32)
    tiny = tiny_layers()
    base, outer = base_layers(), nested_outer_layers()
    out = {'input_shape': [BATCH, H, W, 3], 'input': x.ravel().tolist()}

    k2 = keras2_functional('tiny', tiny, 'dense1')
    with open('tiny_k2.json', 'w') as fh:
        json.dump(k2, fh)
    names = [l.name for l in tiny]
    for path, libver in [('tiny_k2.h5', 'earliest'), ('tiny_k2_latest.h5', 'latest')]:
        write_k2_model(path, k2, k2_weight_list(tiny), names, libver)
    with h5py.File('tiny_weights.h5', 'w') as f:
        write_k2_weights(f, k2_weight_list(tiny), names)
    k3 = keras3_functional('tiny', tiny, 'dense1')
    with open('tiny_k3.json', 'w') as fh:
        json.dump(k3, fh)
    write_keras_zip('tiny_k3.keras', k3, [([l.name], l.weights) for l in tiny if l.weights])
    out['tiny'] = forward(tiny, weights_of(tiny), {'input_1': x.astype(np.float64)})['dense1'].ravel().tolist()

    write_tfjs('tiny_tfjs', k2, tiny, quant=False)
    deq = write_tfjs('tiny_tfjs_u8', k2, tiny, quant=True)
    deq = {k: [(s, a.astype(np.float64)) for s, a in v] for k, v in deq.items()}
    out['tiny_u8'] = forward(tiny, deq, {'input_1': x.astype(np.float64)})['dense1'].ravel().tolist()

    # Nested: Sequential([base, GlobalAveragePooling2D, Dense]).
    outer[0].inputs, outer[1].inputs = ['Conv1_relu'], ['gap_out']
    k2n = nested_config(False)
    base_ws = [(f'{l.name}/{s}:0', a) for l in base for s, a in l.weights]
    k2_groups = [('base', base_ws)] + k2_weight_list(outer)
    write_k2_model('nested_k2.h5', k2n, k2_groups, ['base', 'gap_out', 'head'], 'earliest')
    k3n = nested_config(True)
    write_keras_zip('nested_k3.keras', k3n,
                    [(['base', l.name], l.weights) for l in base if l.weights] +
                    [([l.name], l.weights) for l in outer if l.weights])
    vals = forward(base + outer, weights_of(base + outer), {'base_input': x.astype(np.float64)})
    out['nested'] = vals['head'].ravel().tolist()

    with open('expected.json', 'w') as fh:
        json.dump(out, fh)


if __name__ == '__main__':
    main()
