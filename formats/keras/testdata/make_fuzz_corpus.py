#!/usr/bin/python3
"""Writes the committed fuzz corpora testdata/fuzz/{FuzzModelJSON,FuzzTFJS}:
hand-picked configs covering Keras 2/3 spellings, nesting and broken input.
Run from this directory: /usr/bin/python3 make_fuzz_corpus.py"""
import json
import os


def quote(b):
    return json.dumps(b.decode('latin-1'))  # Go accepts JSON string escapes


def write(fuzz, name, *values):
    os.makedirs(f'fuzz/{fuzz}', exist_ok=True)
    lines = ['go test fuzz v1']
    for v in values:
        lines.append(f'[]byte({quote(v)})' if isinstance(v, bytes) else f'string({json.dumps(v)})')
    with open(f'fuzz/{fuzz}/{name}', 'w') as fh:
        fh.write('\n'.join(lines) + '\n')


inp = {'class_name': 'InputLayer', 'name': 'in', 'config': {'batch_shape': [None, 4, 4, 2], 'name': 'in'},
       'inbound_nodes': []}
k3t = lambda n: {'class_name': '__keras_tensor__', 'config': {'keras_history': [n, 0, 0]}}
k3 = {'class_name': 'Functional', 'config': {'name': 'm', 'layers': [
    inp,
    {'class_name': 'Conv2D', 'name': 'c', 'config': {'filters': 2, 'kernel_size': 3, 'padding': 'same'},
     'inbound_nodes': [{'args': [k3t('in')], 'kwargs': {}}]},
    {'class_name': 'Add', 'name': 'a', 'config': {}, 'inbound_nodes': [{'args': [[k3t('in'), k3t('c')]]}]},
    {'class_name': 'GlobalMaxPooling2D', 'name': 'g', 'config': {'keepdims': True},
     'inbound_nodes': [{'args': [k3t('a')]}]}],
    'input_layers': ['in', 0, 0], 'output_layers': ['g', 0, 0]}}
seq_nested = {'class_name': 'Sequential', 'config': {'name': 's', 'layers': [
    {'class_name': 'InputLayer', 'config': {'batch_shape': [None, 5, 5, 1], 'name': 'x'}},
    {'class_name': 'Sequential', 'config': {'name': 'inner', 'layers': [
        {'class_name': 'ZeroPadding2D', 'config': {'name': 'zp', 'padding': 1}},
        {'class_name': 'DepthwiseConv2D', 'config': {'name': 'dw', 'kernel_size': [3, 3], 'strides': 2}}]}},
    {'class_name': 'Flatten', 'config': {'name': 'f'}},
    {'class_name': 'Dense', 'config': {'name': 'd', 'units': 3, 'activation': 'hard_sigmoid'}}]}}
write('FuzzModelJSON', 'keras3_functional', json.dumps(k3).encode(), '3.3.3')
write('FuzzModelJSON', 'sequential_nested', json.dumps(seq_nested).encode(), '3.1.0')
write('FuzzModelJSON', 'truncated', json.dumps(k3).encode()[:150], '')
write('FuzzModelJSON', 'self_loop', b'{"class_name":"Model","config":{"layers":[{"class_name":"ReLU","name":"r",'
      b'"config":{},"inbound_nodes":[[["r",0,0,{}]]]}],"input_layers":[],"output_layers":[["r",0,0]]}}', '2')
write('FuzzModelJSON', 'huge_shape', b'{"class_name":"Sequential","config":[{"class_name":"Reshape","config":'
      b'{"target_shape":[16777216,16777216,16777216,-1],"batch_input_shape":[null,8]}}]}', '2')

with open('fuzz_tfjs/model.json', 'rb') as fh:
    mj = fh.read()
with open('fuzz_tfjs/group1-shard1of1.bin', 'rb') as fh:
    shard = fh.read()
write('FuzzTFJS', 'short_shard', mj, shard[:-7])
write('FuzzTFJS', 'uint16', mj.replace(b'"uint8"', b'"uint16"'), shard + bytes(6))
write('FuzzTFJS', 'float16', mj.replace(b'"uint8"', b'"float16"'), shard + bytes(6))
write('FuzzTFJS', 'negative_shape', mj.replace(b'[3, 2]', b'[-3, 2]'), shard)
write('FuzzTFJS', 'huge_shape', mj.replace(b'[3, 2]', b'[16777216, 16777216]'), shard)
