"""Times numpy's float32 matmul (OpenBLAS sgemm) on an n x n x n product and
prints best and median GFLOP/s, in the same format as bench/gemm/main.go,
and which BLAS library the process has loaded."""
import os
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
threads = int(os.environ.get("OPENBLAS_NUM_THREADS", "1"))
rates, cpu_rates = [], []
for _ in range(reps):
    t, cpu = time.perf_counter(), time.process_time()
    np.matmul(a, b, out=c)
    rates.append(2 * n**3 / (time.perf_counter() - t) / 1e9)
    cpu_rates.append(2 * n**3 / (time.process_time() - cpu) / 1e9 * threads)
rates.sort()
cpu_rates.sort()
with open("/proc/self/maps") as f:
    libs = sorted({os.path.basename(l.split()[-1]) for l in f if "blas" in l.lower()})
print(f"numpy blas={','.join(libs) or '?'} threads={threads} n={n} best={rates[-1]:.1f} "
      f"median={rates[len(rates)//2]:.1f} GFLOP/s cpunorm={cpu_rates[len(cpu_rates)//2]:.1f}")
