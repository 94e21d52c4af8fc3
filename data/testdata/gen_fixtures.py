#!/usr/bin/python3
"""Generates the image fixtures of package data's tests with Pillow.

Run from data/testdata with Debian's interpreter: /usr/bin/python3 gen_fixtures.py
Deterministic (fixed numpy seed). Writes:
  resize/src.png, resize/src_tall.png          synthetic sources (lossless)
  resize/<case>.rgb + resize/cases.txt         Pillow BILINEAR results (raw RGB bytes)
  decode/<name>.<ext> + decode/<name>.rgb      small images in many modes, and the
                                               8-bit RGB they should decode to
  exif/o<N>.jpg + exif/upright.png             one JPEG per EXIF orientation whose
                                               upright view is upright.png
"""
import io
import os

import numpy as np
from PIL import Image

rng = np.random.default_rng(1234)
os.makedirs("resize", exist_ok=True)
os.makedirs("decode", exist_ok=True)
os.makedirs("exif", exist_ok=True)

# ---------- resize: synthetic image (gradients + noise), 61x43 ----------
H, W = 43, 61
yy, xx = np.mgrid[0:H, 0:W]
base = np.stack([xx * 255 / (W - 1), yy * 255 / (H - 1), (xx + yy) % 32 * 8], -1)
src = np.clip(base + rng.integers(-40, 41, size=(H, W, 3)), 0, 255).astype(np.uint8)
Image.fromarray(src, "RGB").save("resize/src.png")
tall = np.ascontiguousarray(src.transpose(1, 0, 2)[::-1])  # 43 wide, 61 tall
Image.fromarray(tall, "RGB").save("resize/src_tall.png")


def tv_shorter_crop(img, size, ratio=0.875):
    """torchvision Resize(floor(size/ratio)) then CenterCrop(size)."""
    s = int(size / ratio)
    w, h = img.size
    if w <= h:
        nw, nh = s, int(s * h / w)
    else:
        nh, nw = s, int(s * w / h)
    r = img.resize((nw, nh), Image.BILINEAR)
    top = int(round((nh - size) / 2.0))
    left = int(round((nw - size) / 2.0))
    return r.crop((left, top, left + size, top + size))


def center_square(img, w, h):
    iw, ih = img.size
    s = min(iw, ih)
    x0, y0 = int(round((iw - s) / 2.0)), int(round((ih - s) / 2.0))
    return img.crop((x0, y0, x0 + s, y0 + s)).resize((w, h), Image.BILINEAR)


cases = []
for name, fname in (("src", "src.png"), ("tall", "src_tall.png")):
    im = Image.open("resize/" + fname).convert("RGB")
    outs = {
        # name: (policy, height, width, ratio, image)
        "shorter28": ("shorter-crop", 28, 28, 0.875, tv_shorter_crop(im, 28)),
        "shorter21": ("shorter-crop", 21, 21, 0.7, tv_shorter_crop(im, 21, 0.7)),
        "squash20x24": ("squash", 20, 24, 0, im.resize((24, 20), Image.BILINEAR)),
        "squash_up70x90": ("squash", 70, 90, 0, im.resize((90, 70), Image.BILINEAR)),
        "square17": ("center-square", 17, 17, 0, center_square(im, 17, 17)),
        "square_up50x40": ("center-square", 50, 40, 0, center_square(im, 40, 50)),
    }
    for k, (pol, h, w, ratio, out) in outs.items():
        assert out.size == (w, h), (k, out.size)
        fn = f"{name}_{k}.rgb"
        open("resize/" + fn, "wb").write(out.tobytes())
        cases.append(f"{fname} {fn} {pol} {h} {w} {ratio}")
    # crop then resize (what RandomResizedCrop does): box (5,7)-(40,30) to 16x16
    out = im.crop((5, 7, 40, 30)).resize((16, 16), Image.BILINEAR)
    open(f"resize/{name}_crop16.rgb", "wb").write(out.tobytes())
    cases.append(f"{fname} {name}_crop16.rgb crop:5,7,40,30 16 16 0")
open("resize/cases.txt", "w").write("\n".join(cases) + "\n")

# ---------- decode: 12x8 images in many modes ----------
dh, dw = 8, 12
rgb = rng.integers(0, 256, size=(dh, dw, 3), dtype=np.uint8)
gray = rng.integers(0, 256, size=(dh, dw), dtype=np.uint8)


def save(name, im, ext, expected, **kw):
    im.save(f"decode/{name}.{ext}", **kw)
    open(f"decode/{name}.rgb", "wb").write(np.ascontiguousarray(expected, np.uint8).tobytes())


save("rgb", Image.fromarray(rgb, "RGB"), "png", rgb)
save("gray", Image.fromarray(gray, "L"), "png", np.stack([gray] * 3, -1))
g16 = rng.integers(0, 65536, size=(dh, dw), dtype=np.uint16)
save("gray16", Image.fromarray(g16.astype(np.int32), "I").convert("I;16"), "png", np.stack([g16 >> 8] * 3, -1))
rgba = np.concatenate([rgb, rng.integers(1, 256, size=(dh, dw, 1), dtype=np.uint8)], -1)
save("rgba", Image.fromarray(rgba, "RGBA"), "png", rgb)
pal = Image.fromarray(rgb, "RGB").quantize(16)
save("palette", pal, "gif", np.asarray(pal.convert("RGB")))
save("palette_png", pal, "png", np.asarray(pal.convert("RGB")))
save("bmp", Image.fromarray(rgb, "RGB"), "bmp", rgb)
save("webp", Image.fromarray(rgb, "RGB"), "webp", rgb, lossless=True)
save("tiff", Image.fromarray(rgb, "RGB"), "tiff", rgb)
# JPEGs: solid 8x8 blocks so decoders agree to a few units.
blocks = np.kron(rng.integers(30, 226, size=(2, 3, 3)), np.ones((8, 8, 1))).astype(np.uint8)
save("jpeg", Image.fromarray(blocks, "RGB"), "jpg", blocks, quality=95, subsampling=0)
gblocks = blocks[..., 0]
save("jpeg_gray", Image.fromarray(gblocks, "L"), "jpg", np.stack([gblocks] * 3, -1), quality=95, subsampling=0)
cmyk = np.zeros((16, 24, 4), np.uint8)
cmyk[:, :12] = (0, 255, 255, 0)   # red
cmyk[:, 12:] = (255, 0, 255, 0)   # green
exp = np.zeros((16, 24, 3), np.uint8)
exp[:, :12] = (255, 0, 0)
exp[:, 12:] = (0, 255, 0)
save("cmyk", Image.fromarray(cmyk, "CMYK"), "jpg", exp, quality=95, subsampling=0)

# ---------- exif: an asymmetric 24x16 upright image, stored per orientation ----------
up = np.zeros((16, 24, 3), np.uint8)
up[:8, :8] = (230, 20, 20)     # red top-left
up[:8, 8:16] = (20, 230, 20)   # green
up[:8, 16:] = (20, 20, 230)    # blue top-right
up[8:, :8] = (230, 230, 20)    # yellow bottom-left
up[8:, 8:16] = (20, 230, 230)  # cyan
up[8:, 16:] = (128, 128, 128)  # grey bottom-right
upright = Image.fromarray(up, "RGB")
upright.save("exif/upright.png")
# inverse of each orientation's transpose, so exif_transpose(stored) == upright
inverse = {
    1: None,
    2: Image.FLIP_LEFT_RIGHT,
    3: Image.ROTATE_180,
    4: Image.FLIP_TOP_BOTTOM,
    5: Image.TRANSPOSE,
    6: Image.ROTATE_90,     # exif_transpose applies ROTATE_270
    7: Image.TRANSVERSE,
    8: Image.ROTATE_270,    # exif_transpose applies ROTATE_90
}
from PIL import ImageOps
for o, t in inverse.items():
    stored = upright if t is None else upright.transpose(t)
    ex = Image.Exif()
    ex[0x0112] = o
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=95, subsampling=0, exif=ex.tobytes())
    open(f"exif/o{o}.jpg", "wb").write(buf.getvalue())
    back = ImageOps.exif_transpose(Image.open(io.BytesIO(buf.getvalue())))
    diff = np.abs(np.asarray(back, np.int32) - up).max()
    assert back.size == (24, 16) and diff < 12, (o, back.size, diff)
print("ok")
