#!/usr/bin/python3
"""Writes the HDF5 fixtures for formats/hdf5 tests with h5py.

Run from this directory with Debian's interpreter:  /usr/bin/python3 gen.py
It writes *.h5 files, expected.json (every dataset value, attribute and
group member list, as the tests check them) and a seed corpus for FuzzOpen
in fuzz/FuzzOpen/. Everything is deterministic (fixed seeds, fixed times).
"""
import ctypes
import hashlib
import json
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
expected = {}


def rng(seed):
    return np.random.RandomState(seed)


def rand(seed, shape, dtype):
    r = rng(seed)
    if np.dtype(dtype).kind == "f":
        # Values with few mantissa bits stay exact in float16 too.
        return (np.round(r.standard_normal(shape) * 64) / 64).astype(dtype)
    info = np.iinfo(dtype)
    lo, hi = max(info.min, -1000), min(info.max, 1000)
    return r.randint(lo, hi + 1, size=shape).astype(dtype)


class Recorder:
    """Keeps what the Go tests must read back from one file."""

    def __init__(self, name):
        self.name = name
        self.rec = {"datasets": {}, "attrs": {}, "members": {}, "softlinks": {}}
        expected[name] = self.rec

    def dataset(self, path, arr):
        self.rec["datasets"][path] = {
            "shape": list(arr.shape),
            "values": [float(v) for v in np.asarray(arr).ravel()],
        }

    def attr(self, obj_path, name, value):
        self.rec["attrs"].setdefault(obj_path, {})[name] = value

    def members(self, path, names):
        self.rec["members"][path] = sorted(names)


def put(f, rec, path, arr, **kw):
    ds = f.create_dataset(path, data=arr, **kw)
    rec.dataset(path, arr)
    return ds


def put_lowlevel(f, rec, path, arr, layout, chunks=None, alloc_early=False, maxshape=None):
    """Creates a dataset through the low-level API (compact layout, early allocation)."""
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    if layout == "compact":
        dcpl.set_layout(h5py.h5d.COMPACT)
    elif layout == "chunked":
        dcpl.set_chunk(chunks)
    if alloc_early:
        dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    space = h5py.h5s.create_simple(arr.shape, maxshape or arr.shape)
    tid = h5py.h5t.py_create(arr.dtype)
    parent, _, name = path.rpartition("/")
    grp = f[parent] if parent else f
    dsid = h5py.h5d.create(grp.id, name.encode(), tid, space, dcpl=dcpl)
    dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, np.ascontiguousarray(arr))
    rec.dataset(path, arr)


def fixed_strings(names):
    return np.array([n.encode("utf8") for n in names])


def keras_model(f, rec, prefix, weights_style):
    """Writes a small Keras-like model: conv, batchnorm, dense layers."""
    layers = {
        "conv2d": [("kernel:0", (3, 3, 3, 4)), ("bias:0", (4,))],
        "batch_normalization": [("gamma:0", (4,)), ("beta:0", (4,)),
                                ("moving_mean:0", (4,)), ("moving_variance:0", (4,))],
        "dense": [("kernel:0", (16, 5)), ("bias:0", (5,))],
        "flatten": [],
    }
    order = ["conv2d", "batch_normalization", "flatten", "dense"]
    root = f[prefix] if prefix else f
    root.attrs["layer_names"] = fixed_strings(order)
    rec.attr(prefix or "/", "layer_names", order)
    root.attrs["backend"] = "tensorflow"
    rec.attr(prefix or "/", "backend", "tensorflow")
    root.attrs["keras_version"] = "2.11.0"
    rec.attr(prefix or "/", "keras_version", "2.11.0")
    seed = 10
    for layer in order:
        g = root.create_group(layer)
        wnames = []
        for i, (wname, shape) in enumerate(layers[layer]):
            seed += 1
            arr = rand(seed, shape, "float32")
            if weights_style:
                path = f"{layer}/vars/{i}"
                wnames.append(f"{layer}/vars/{i}")
            else:
                path = f"{layer}/{layer}/{wname}"
                wnames.append(f"{layer}/{wname}")
            full = f"{prefix}/{path}" if prefix else path
            kw = {}
            if len(shape) == 4:
                kw = dict(chunks=(3, 3, 1, 4), compression="gzip", compression_opts=6, shuffle=True)
            put(f, rec, full, arr, **kw)
        g.attrs["weight_names"] = fixed_strings(wnames) if wnames else np.zeros((0,), dtype="S1")
        gp = f"{prefix}/{layer}" if prefix else layer
        rec.attr(gp, "weight_names", wnames)
    rec.members(prefix or "/", order + ([] if prefix else []))


def extras(f, rec, latest):
    """Datatypes, layouts and filters beyond what Keras uses."""
    g = f.create_group("extras")
    put(f, rec, "extras/f64", rand(1, (3, 5), "float64"))
    put(f, rec, "extras/f16", rand(2, (7,), "float16"))
    put(f, rec, "extras/f32be", rand(3, (2, 3), ">f4"))
    put(f, rec, "extras/f64be", rand(4, (4,), ">f8"))
    put(f, rec, "extras/i8", rand(5, (6,), "int8"))
    put(f, rec, "extras/u8", rand(6, (6,), "uint8"))
    put(f, rec, "extras/i16be", rand(7, (5,), ">i2"))
    put(f, rec, "extras/i32", rand(8, (2, 2), "int32"))
    put(f, rec, "extras/u32", rand(9, (3,), "uint32"))
    put(f, rec, "extras/i64", rand(10, (3,), "int64"))
    put(f, rec, "extras/u64be", rand(11, (3,), ">u8"))
    put(f, rec, "extras/scalar", np.array(2.5, dtype="float32"))
    put(f, rec, "extras/gzip_only", rand(12, (20, 6), "float32"), chunks=(7, 4), compression="gzip")
    put(f, rec, "extras/fletcher", rand(13, (10, 3), "float32"), chunks=(4, 3), fletcher32=True,
        compression="gzip", shuffle=True)
    put(f, rec, "extras/partial_chunks", rand(14, (5, 7, 3), "float64"), chunks=(2, 3, 2))
    put_lowlevel(f, rec, "extras/compact", rand(15, (3, 4), "float32"), "compact")
    put_lowlevel(f, rec, "extras/early_chunked", rand(16, (6, 4), "float32"), "chunked",
                 chunks=(4, 3), alloc_early=True)
    put_lowlevel(f, rec, "extras/maxshape_fixed", rand(17, (5, 4), "float32"), "chunked",
                 chunks=(2, 2), maxshape=(9, 8))
    # One unlimited dimension: extensible array index in the new format; enough
    # chunks to need data blocks and secondary blocks.
    put(f, rec, "extras/unlimited1", rand(18, (300, 2), "float32"), chunks=(1, 2), maxshape=(None, 2))
    put(f, rec, "extras/unlimited_mid", rand(19, (3, 40), "float32"), chunks=(3, 1), maxshape=(3, None),
        compression="gzip")
    # Two unlimited dimensions: v2 B-tree index in the new format.
    put(f, rec, "extras/unlimited2", rand(20, (9, 8), "float32"), chunks=(2, 3), maxshape=(None, None),
        compression="gzip", shuffle=True)
    put(f, rec, "extras/unlimited2_plain", rand(21, (5, 5), "int16"), chunks=(2, 2), maxshape=(None, None))
    # Many chunks: a paged fixed array in the new format, a deep v1 B-tree in the old.
    put(f, rec, "extras/many_chunks", rand(22, (1100,), "float32"), chunks=(1,))
    # Chunk equal to the whole dataset, filtered: single-chunk index.
    put(f, rec, "extras/single_chunk", rand(23, (4, 4), "float32"), chunks=(4, 4), compression="gzip")
    put(f, rec, "extras/single_chunk_plain", rand(24, (4, 3), "float32"), chunks=(4, 3))
    # Empty dataset and a missing (never written) chunked dataset read as fill value 0.
    f.create_dataset("extras/unwritten", shape=(3, 2), dtype="float32", chunks=(2, 2))
    rec.dataset("extras/unwritten", np.zeros((3, 2), dtype="float32"))
    # Chunked, partly written: unwritten chunks read as the fill value.
    ds = f.create_dataset("extras/fill_chunked", shape=(4, 5), dtype="float32", chunks=(2, 2), fillvalue=-1.5)
    ds[0:2, 0:2] = np.array([[1, 2], [3, 4]], dtype="float32")
    ds[3, 4] = 9
    arr = np.full((4, 5), -1.5, dtype="float32")
    arr[0:2, 0:2] = [[1, 2], [3, 4]]
    arr[3, 4] = 9
    rec.dataset("extras/fill_chunked", arr)
    f.create_dataset("extras/fill7", shape=(2, 2), dtype="int32", fillvalue=7)
    rec.dataset("extras/fill7", np.full((2, 2), 7, dtype="int32"))

    # Attributes: scalars, arrays, vlen and fixed strings.
    g.attrs["int_scalar"] = np.int64(-42)
    rec.attr("extras", "int_scalar", -42)
    g.attrs["float_scalar"] = np.float64(0.125)
    rec.attr("extras", "float_scalar", 0.125)
    g.attrs["f32_list"] = np.array([1.5, -2.25, 3.0], dtype="float32")
    rec.attr("extras", "f32_list", [1.5, -2.25, 3.0])
    g.attrs["u16be_list"] = np.array([1, 65535], dtype=">u2")
    rec.attr("extras", "u16be_list", [1, 65535])
    g.attrs["vlen_str"] = "héllo wörld"
    rec.attr("extras", "vlen_str", "héllo wörld")
    g.attrs["vlen_list"] = np.array(["a", "bc", "", "déf"], dtype=h5py.string_dtype())
    rec.attr("extras", "vlen_list", ["a", "bc", "", "déf"])
    g.attrs["fixed_str"] = np.bytes_(b"fixed")
    rec.attr("extras", "fixed_str", "fixed")
    g.attrs["fixed_2d"] = np.array([[b"ab", b"c"], [b"", b"def"]])
    rec.attr("extras", "fixed_2d", ["ab", "c", "", "def"])
    f["extras/f64"].attrs["note"] = "dataset attribute"
    rec.attr("extras/f64", "note", "dataset attribute")

    # A group with many members (dense link storage in the new format).
    many = f.create_group("many")
    names = [f"member_{i:03d}" for i in range(40)]
    for i, n in enumerate(names):
        if i % 2:
            many.create_group(n)
        else:
            put(f, rec, f"many/{n}", np.array([i], dtype="int32"))
    rec.members("many", names)
    # Many attributes on one group (dense attribute storage in the new format),
    # one of them larger than the fractal heap's managed-object limit.
    dense = f.create_group("dense_attrs")
    for i in range(30):
        dense.attrs[f"attr_{i:02d}"] = np.int32(i * 3)
        rec.attr("dense_attrs", f"attr_{i:02d}", i * 3)
    big = json.dumps({"class_name": "Functional", "config": {"layers": [
        {"name": f"layer_{i}", "class_name": "Dense", "units": i} for i in range(200)]}})
    # A fixed-length string (np.bytes_), larger
    # than the attribute heap's managed-object limit (4 KiB), which makes it a
    # huge object in dense storage.
    dense.attrs["model_config"] = np.bytes_(big.encode())
    rec.attr("dense_attrs", "model_config", {"sha256": hashlib.sha256(big.encode()).hexdigest(),
                                             "len": len(big)})
    # A committed (named) datatype shared by a dataset.
    f["extras_type"] = np.dtype("<f8")
    arr = rand(25, (2, 2), "float64")
    f.create_dataset("extras/committed", data=arr, dtype=f["extras_type"])
    rec.dataset("extras/committed", arr)
    f["soft"] = h5py.SoftLink("/extras/f64")
    rec.rec["softlinks"]["soft"] = "extras/f64"
    # Cycles: a hard link back to an ancestor group, and a soft link to itself.
    f["extras/loop"] = f["extras"]
    f["soft_loop"] = h5py.SoftLink("/soft_loop")
    rec.members("extras", list(g.keys()))


def whole_model(name, libver):
    path = os.path.join(HERE, name)
    rec = Recorder(name)
    with h5py.File(path, "w", libver=libver) as f:
        config = json.dumps({"class_name": "Sequential", "config": {"name": "tiny"}})
        f.attrs["keras_version"] = "2.11.0"
        rec.attr("/", "keras_version", "2.11.0")
        f.attrs["backend"] = "tensorflow"
        rec.attr("/", "backend", "tensorflow")
        f.attrs["model_config"] = config.encode()  # Keras writes bytes
        rec.attr("/", "model_config", config)
        f.create_group("model_weights")
        keras_model(f, rec, "model_weights", weights_style=False)
        extras(f, rec, libver == "latest")
        rec.members("/", list(f.keys()))


def weights_only(name, libver, userblock=0):
    path = os.path.join(HERE, name)
    rec = Recorder(name)
    with h5py.File(path, "w", libver=libver, userblock_size=userblock) as f:
        keras_model(f, rec, "", weights_style=True)
        rec.members("/", list(f.keys()))


def weights_sb1(name):
    """Writes a weights file with a version 1 superblock.

    HDF5 writes version 1 only when the indexed-storage B-tree K differs from
    its default; h5py has no wrapper for H5Pset_istore_k, so ctypes calls it.
    """
    lib = ctypes.CDLL("libhdf5_serial.so.103")
    lib.H5Pset_istore_k.argtypes = [ctypes.c_int64, ctypes.c_uint]
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    assert lib.H5Pset_istore_k(fcpl.id, 64) >= 0
    path = os.path.join(HERE, name)
    fid = h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl)
    rec = Recorder(name)
    with h5py.File(fid) as f:
        keras_model(f, rec, "", weights_style=True)
        rec.members("/", list(f.keys()))
    with open(path, "rb") as fh:
        assert fh.read(9)[8] == 1


def go_quote(data):
    out = []
    for b in data:
        c = chr(b)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def fuzz_seed(name, writer):
    """Writes one tiny HDF5 file as a Go fuzz corpus entry."""
    tmp = os.path.join(HERE, "seed.tmp")
    writer(tmp)
    with open(tmp, "rb") as fh:
        data = fh.read()
    os.remove(tmp)
    with open(os.path.join(HERE, "fuzz", "FuzzOpen", name), "w") as fh:
        fh.write('go test fuzz v1\n[]byte("%s")\n' % go_quote(data))


def seed_files():
    os.makedirs(os.path.join(HERE, "fuzz", "FuzzOpen"), exist_ok=True)

    def make(libver, kind):
        def w(p):
            with h5py.File(p, "w", libver=libver) as f:
                f.attrs["layer_names"] = fixed_strings(["d"])
                f.attrs["v"] = "s"
                g = f.create_group("d/d")
                if kind == "contig":
                    g.create_dataset("kernel:0", data=np.arange(6, dtype="float32").reshape(2, 3))
                elif kind == "gzip":
                    g.create_dataset("kernel:0", data=np.arange(12, dtype="float32").reshape(4, 3),
                                     chunks=(2, 3), compression="gzip", shuffle=True)
                elif kind == "ea":
                    g.create_dataset("kernel:0", data=np.arange(8, dtype="float16"), chunks=(1,),
                                     maxshape=(None,))
                elif kind == "dense":
                    for i in range(10):
                        g.create_dataset(f"w{i}", data=np.array([i], dtype="int8"))
                        g.attrs[f"a{i}"] = np.int8(i)
        return w

    for libver in ("earliest", "latest"):
        for kind in ("contig", "gzip", "ea", "dense"):
            fuzz_seed(f"{libver}_{kind}", make(libver, kind))


if __name__ == "__main__":
    whole_model("keras_earliest.h5", "earliest")
    whole_model("keras_latest.h5", "latest")
    weights_only("weights_v108.h5", "v108", userblock=512)
    weights_only("weights_earliest.h5", "earliest")
    weights_sb1("weights_sb1.h5")
    seed_files()
    with open(os.path.join(HERE, "expected.json"), "w") as fh:
        json.dump(expected, fh, indent=0, sort_keys=True)
