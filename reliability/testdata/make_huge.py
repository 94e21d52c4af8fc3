"""Makes the files of TestHugeClaimsAreRefused that Go cannot easily write:
each is small but claims a tensor far larger than any machine's memory.

Run from the repository root with Debian's Python (h5py, numpy, onnx):
    /usr/bin/python3 reliability/testdata/make_huge.py
"""
import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper

OUT = "reliability/testdata/"
HUGE = (1 << 20, 1 << 20)  # 4 TiB of float32

# HDF5: a chunked dataset of 2^40 float32 values, never written, so the
# file holds no chunk at all.
with h5py.File(OUT + "huge.h5", "w") as f:
    f.create_dataset("w", shape=HUGE, dtype="float32", chunks=(64, 64))

# Keras .h5: the tiny_k2 model of formats/keras with dense1's kernel
# replaced by an unwritten dataset of 2^40 values.
with h5py.File("formats/keras/testdata/tiny_k2.h5", "r") as src, h5py.File(OUT + "huge_keras.h5", "w") as dst:
    for k, v in src.attrs.items():
        dst.attrs[k] = v
    src.copy("model_weights", dst)
    grp = dst["model_weights/dense1/dense1"]
    del grp["kernel:0"]
    grp.create_dataset("kernel:0", shape=HUGE, dtype="float32", chunks=(64, 64))

# ONNX: a MatMul whose initializer claims 2^40 float32 values and holds 16 bytes.
w = TensorProto()
w.name = "w"
w.data_type = TensorProto.FLOAT
w.dims.extend(HUGE)
w.raw_data = np.zeros(4, np.float32).tobytes()
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["y"])],
    "huge",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, HUGE[0]])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, HUGE[1]])],
    initializer=[w],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
with open(OUT + "huge.onnx", "wb") as f:
    f.write(model.SerializeToString())
