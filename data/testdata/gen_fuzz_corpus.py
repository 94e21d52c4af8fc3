#!/usr/bin/python3
"""Writes the committed seed corpora of FuzzIDX and FuzzDecode.

Run from data/testdata after gen_fixtures.py: /usr/bin/python3 gen_fuzz_corpus.py
Each file is in Go's "go test fuzz v1" format holding one []byte.
"""
import gzip
import os
import struct


def golit(b):
    out = []
    for c in b:
        ch = chr(c)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= c < 127:
            out.append(ch)
        else:
            out.append("\\x%02x" % c)
    return '[]byte("' + "".join(out) + '")'


def write(target, name, b):
    d = os.path.join("fuzz", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "w") as f:
        f.write("go test fuzz v1\n" + golit(b) + "\n")


def idx(typ, dims, payload):
    return bytes([0, 0, typ, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


images = idx(0x08, [2, 3, 3], bytes(range(18)))
labels = idx(0x08, [4], bytes([0, 1, 2, 9]))
write("FuzzIDX", "images_u8", images)
write("FuzzIDX", "labels_u8", labels)
write("FuzzIDX", "images_gzip", gzip.compress(images, mtime=0))
write("FuzzIDX", "int16", idx(0x0B, [3], struct.pack(">hhh", -1, 2, 300)))
write("FuzzIDX", "float32", idx(0x0D, [2], struct.pack(">ff", 1.5, -2.0)))
write("FuzzIDX", "float64", idx(0x0E, [1], struct.pack(">d", 3.25)))
write("FuzzIDX", "truncated", images[:-3])
write("FuzzIDX", "huge_dims", idx(0x08, [0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], b""))
write("FuzzIDX", "zero_dim", idx(0x08, [0, 5], b""))

for name in ("rgb.png", "gray16.png", "palette.gif", "bmp.bmp", "webp.webp", "tiff.tiff", "jpeg_gray.jpg"):
    write("FuzzDecode", name.replace(".", "_"), open(os.path.join("decode", name), "rb").read())
write("FuzzDecode", "exif_o6_jpg", open("exif/o6.jpg", "rb").read())
print("ok")
