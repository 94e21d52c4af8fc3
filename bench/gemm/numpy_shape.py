"""Times numpy's float32 matmul (OpenBLAS sgemm) on one m x n x k product:
best wall-clock GFLOP/s and median GFLOP per CPU-second over 10 runs.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 \\
        /usr/bin/python3 bench/gemm/numpy_shape.py 100352 64 64
"""
import sys
import time

import numpy as np

m, n, k = map(int, sys.argv[1:4])
rng = np.random.default_rng(1)
a = rng.random((m, k), dtype=np.float32)
b = rng.random((k, n), dtype=np.float32)
c = np.empty((m, n), np.float32)
np.matmul(a, b, out=c)
best, cpu = 0.0, []
for _ in range(10):
    t, c0 = time.perf_counter(), time.process_time()
    np.matmul(a, b, out=c)
    best = max(best, 2 * m * n * k / (time.perf_counter() - t) / 1e9)
    cpu.append(2 * m * n * k / (time.process_time() - c0) / 1e9)
cpu.sort()
print(f"numpy {m}x{n}x{k}: best wall {best:.1f} GFLOP/s, median GFLOP/cpu-s {cpu[len(cpu) // 2]:.1f}")
