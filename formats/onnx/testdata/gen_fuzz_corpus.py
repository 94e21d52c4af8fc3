"""Writes the seed corpus of FuzzConvert (testdata/fuzz/FuzzConvert).

Run from this folder, after gen.py:  python3 gen_fuzz_corpus.py
Each entry is a fixture cut short or with a few bytes changed, in the
"go test fuzz v1" format; the whole fixtures are seeded by f.Add.
"""
import os


def go_bytes(b):
    out = []
    for c in b:
        ch = chr(c)
        if 32 <= c < 127 and ch not in '"\\':
            out.append(ch)
        else:
            out.append("\\x%02x" % c)
    return '[]byte("' + "".join(out) + '")'


def write(name, data):
    os.makedirs("fuzz/FuzzConvert", exist_ok=True)
    with open(os.path.join("fuzz/FuzzConvert", name), "w") as f:
        f.write("go test fuzz v1\n" + go_bytes(data) + "\n")


def flip(data, positions):
    b = bytearray(data)
    for p in positions:
        b[p % len(b)] ^= 0x5A
    return bytes(b)


opsnet = open("opsnet.onnx", "rb").read()
old = open("opsnet_opset10.onnx", "rb").read()
write("opsnet_truncated", opsnet[: len(opsnet) // 2])
write("opsnet_flipped", flip(opsnet, [97, 1301, 2203, 4099]))
write("opsnet_opset10_flipped", flip(old, [61, 733, 1999]))
write("opsnet_opset10_huge_length", old[:40] + b"\xff\xff\xff\xff\x0f" + old[45:])
