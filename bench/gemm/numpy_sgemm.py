"""Times numpy's float32 matmul (OpenBLAS sgemm) on an n x n x n product and
prints best and median GFLOP/s, in the same format as bench/gemm/main.go."""
import sys
import time

import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
rng = np.random.default_rng(1)
a = rng.random((n, n), dtype=np.float32)
b = rng.random((n, n), dtype=np.float32)
c = np.empty((n, n), dtype=np.float32)
np.matmul(a, b, out=c)
rates = []
for _ in range(reps):
    t = time.perf_counter()
    np.matmul(a, b, out=c)
    rates.append(2 * n**3 / (time.perf_counter() - t) / 1e9)
rates.sort()
lib = "?"
try:
    from threadpoolctl import threadpool_info
    lib = ",".join(f"{i['internal_api']}:{i['num_threads']}" for i in threadpool_info())
except ImportError:
    pass
print(f"numpy blas={lib} n={n} best={rates[-1]:.1f} median={rates[len(rates)//2]:.1f} GFLOP/s")
