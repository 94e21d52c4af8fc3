#!/usr/bin/python3
"""Writes fuzz_tfjs/: a minimal TF.js layers model (Conv2D, BatchNorm with a
uint8-quantised weight, global pooling, Dense) that seeds FuzzTFJS.
Run from this directory: /usr/bin/python3 make_fuzz_seed.py"""
import json
import os

import numpy as np

rng = np.random.default_rng(7)
layers = [
    {'class_name': 'InputLayer', 'name': 'in', 'config': {'batch_input_shape': [None, 4, 4, 2], 'name': 'in'},
     'inbound_nodes': []},
    {'class_name': 'Conv2D', 'name': 'c', 'config': {'name': 'c', 'filters': 3, 'kernel_size': [2, 2],
                                                     'strides': [1, 1], 'padding': 'same', 'activation': 'relu',
                                                     'use_bias': True}, 'inbound_nodes': [[['in', 0, 0, {}]]]},
    {'class_name': 'BatchNormalization', 'name': 'b', 'config': {'name': 'b', 'axis': -1, 'epsilon': 0.001},
     'inbound_nodes': [[['c', 0, 0, {}]]]},
    {'class_name': 'GlobalAveragePooling2D', 'name': 'g', 'config': {'name': 'g'},
     'inbound_nodes': [[['b', 0, 0, {}]]]},
    {'class_name': 'Dense', 'name': 'd', 'config': {'name': 'd', 'units': 2, 'activation': 'softmax'},
     'inbound_nodes': [[['g', 0, 0, {}]]]},
]
config = {'class_name': 'Model', 'config': {'name': 'seed', 'layers': layers, 'input_layers': [['in', 0, 0]],
                                            'output_layers': [['d', 0, 0]]}}
specs, data = [], b''
for name, shape in [('c/kernel', [2, 2, 2, 3]), ('c/bias', [3]), ('b/gamma', [3]), ('b/beta', [3]),
                    ('b/moving_mean', [3]), ('b/moving_variance', [3]), ('d/kernel', [3, 2]), ('d/bias', [2])]:
    a = rng.standard_normal(shape).astype('<f4')
    if name == 'b/moving_variance':
        a = np.abs(a) + 0.5
    spec = {'name': name, 'shape': shape, 'dtype': 'float32'}
    if name == 'd/kernel':
        lo, scale = float(a.min()), float(a.max() - a.min()) / 255
        spec['quantization'] = {'dtype': 'uint8', 'min': lo, 'scale': scale}
        data += np.round((a - lo) / scale).astype(np.uint8).tobytes()
    else:
        data += a.astype('<f4').tobytes()
    specs.append(spec)
os.makedirs('fuzz_tfjs', exist_ok=True)
with open('fuzz_tfjs/group1-shard1of1.bin', 'wb') as fh:
    fh.write(data)
with open('fuzz_tfjs/model.json', 'w') as fh:
    json.dump({'format': 'layers-model', 'modelTopology': {'keras_version': '2.2.4', 'model_config': config},
               'weightsManifest': [{'paths': ['group1-shard1of1.bin'], 'weights': specs}]}, fh)
