#!/usr/bin/python3
"""Writes testdata/python.safetensors by hand from numpy arrays.

Run with Debian's /usr/bin/python3 from formats/safetensors/. torch 1.13 has
no safetensors package, so the format is spelled out here: an 8-byte
little-endian header length, a JSON header, then the raw little-endian data.
The header lists tensors in a different order from the data and carries
__metadata__, so the reader's sorting and metadata are exercised too.
read_test.go asserts the exact values below.
"""
import json
import struct

import numpy as np

f32 = np.array([[1.5, -2.25, 3.0], [0.0, 1e-3, -7.0]], dtype="<f4")
f16 = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 2.0**-24, np.inf, -np.inf], dtype="<f2")
# bfloat16: the top 16 bits of float32 (these values are exact in bf16).
bf16_src = np.array([1.0, -3.5, 256.0, 0.0078125], dtype="<f4")
bf16 = (bf16_src.view("<u4") >> 16).astype("<u2")
f64 = np.array([[0.1, -1e30], [2.0**-30, 12345.6789]], dtype="<f8")
i64 = np.array([-(2**40), -1, 0, 7], dtype="<i8")
i32 = np.array([-2147483648, 2147483647, -5], dtype="<i4")
i16 = np.array([-32768, 32767, 0, -1], dtype="<i2")
i8 = np.array([-128, 127, -1], dtype="i1")
u8 = np.array([[0, 255], [128, 1]], dtype="u1")
boolean = np.array([True, False, True], dtype="u1")
scalar = np.array(42.0, dtype="<f4")
empty = np.zeros((0, 3), dtype="<f4")

# (name, dtype, array) in data order.
tensors = [
    ("weights.f32", "F32", f32),
    ("half", "F16", f16),
    ("brain", "BF16", bf16),
    ("double", "F64", f64),
    ("long", "I64", i64),
    ("int", "I32", i32),
    ("short", "I16", i16),
    ("byte", "I8", i8),
    ("ubyte", "U8", u8),
    ("mask", "BOOL", boolean),
    ("scalar", "F32", scalar),
    ("empty", "F32", empty),
]

header = {}
data = b""
for name, dtype, arr in tensors:
    raw = arr.tobytes()
    shape = list(arr.shape)
    if name == "brain":
        shape = list(bf16_src.shape)
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
    data += raw
# Header order differs from data order: reversed, metadata in the middle.
ordered = {}
names = [t[0] for t in tensors][::-1]
for i, name in enumerate(names):
    if i == 3:
        ordered["__metadata__"] = {"format": "pt", "source": "gen.py"}
    ordered[name] = header[name]
hjson = json.dumps(ordered).encode()
hjson += b" " * (-len(hjson) % 8)
with open("testdata/python.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(hjson)))
    f.write(hjson)
    f.write(data)
