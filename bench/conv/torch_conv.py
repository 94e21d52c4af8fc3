"""Times PyTorch's conv2d forward, backward-data and backward-filter at the
ResNet-50 shapes of compute.BenchmarkConv, and prints them beside Graft's
numbers read from `go test -bench` output.

Usage (run.sh drives both):
  torch_conv.py shapes                   print the shape names
  torch_conv.py measure TORCH_OUT [NAME] append one round of PyTorch times
                                         (of every shape, or of NAME)
  torch_conv.py table GO_OUT TORCH_OUT   best of all rounds, side by side
"""
import re
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(2)

# name, batch, size, in, out, kernel, pad (matching compute/conv_bench_test.go)
SHAPES = [
    ("3x3_64-64_56", 32, 56, 64, 64, 3, 1),
    ("1x1_64-256_56", 32, 56, 64, 256, 1, 0),
    ("1x1_256-64_56", 32, 56, 256, 64, 1, 0),
    ("3x3_128-128_28", 32, 28, 128, 128, 3, 1),
    ("3x3_256-256_14", 32, 14, 256, 256, 3, 1),
    ("3x3_512-512_7", 32, 7, 512, 512, 3, 1),
    ("1x1_512-2048_7", 32, 7, 512, 2048, 1, 0),
]
PASSES = ["forward", "backward-data", "backward-filter"]


def best_time(fn, reps=10):
    """Fastest wall-clock run and mean CPU time (all threads) per run."""
    fn()  # warm up: primitive creation, allocation
    best = float("inf")
    cpu = time.process_time()
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best, (time.process_time() - cpu) / reps


def torch_times(n, hw, cin, cout, k, pad, memory_format):
    x = torch.randn(n, cin, hw, hw).contiguous(memory_format=memory_format).requires_grad_()
    w = torch.randn(cout, cin, k, k).contiguous(memory_format=memory_format).requires_grad_()
    y = F.conv2d(x, w, padding=pad)
    dy = torch.randn_like(y).contiguous(memory_format=memory_format)

    def forward():
        with torch.no_grad():
            F.conv2d(x, w, padding=pad)

    def backward_data():
        torch.autograd.grad(y, x, dy, retain_graph=True)

    def backward_filter():
        torch.autograd.grad(y, w, dy, retain_graph=True)

    return [best_time(forward), best_time(backward_data), best_time(backward_filter)]


def measure(path, only=None):
    """Appends one round of times for every shape, or for the one named."""
    with open(path, "a") as f:
        for name, n, hw, cin, cout, k, pad in SHAPES:
            if only is not None and name != only:
                continue
            nchw = torch_times(n, hw, cin, cout, k, pad, torch.contiguous_format)
            nhwc = torch_times(n, hw, cin, cout, k, pad, torch.channels_last)
            for i, pname in enumerate(PASSES):
                f.write(f"{name} {pname} {nchw[i][0]} NCHW {nchw[i][1]}\n"
                        f"{name} {pname} {nhwc[i][0]} channels_last {nhwc[i][1]}\n")


def torch_best(path):
    """Best seconds and its layout per (shape, pass) over every round, and
    the least mean CPU seconds per run of any layout and round."""
    best, cpu = {}, {}
    with open(path) as f:
        for line in f:
            name, pname, t, layout, c = line.split()
            key = (name, pname)
            if key not in best or float(t) < best[key][0]:
                best[key] = (float(t), layout)
            cpu[key] = min(cpu.get(key, float("inf")), float(c))
    return best, cpu


def graft_times(path):
    """Best single run per (shape, pass) from go test -bench output, in
    seconds (the best-ms metric, or ns/op where a line has none), and the
    least mean CPU seconds per run (the cpu-ms metric) over all rounds."""
    times, cpu = {}, {}
    pat = re.compile(r"^BenchmarkConv/([^/]+)/([a-z-]+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op")
    best = re.compile(r"([\d.]+) best-ms")
    cpums = re.compile(r"([\d.]+) cpu-ms")
    with open(path) as f:
        for line in f:
            m = pat.match(line)
            if m:
                key = (m.group(1), m.group(2))
                b = best.search(line)
                t = float(b.group(1)) / 1e3 if b else float(m.group(3)) / 1e9
                times[key] = min(times.get(key, float("inf")), t)
                c = cpums.search(line)
                if c:
                    cpu[key] = min(cpu.get(key, float("inf")), float(c.group(1)) / 1e3)
    return times, cpu


def table(go_path, torch_path):
    (graft, gcpu), (best, tcpu) = graft_times(go_path), torch_best(torch_path)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          "best of NCHW and channels_last per pass; "
          "cpu: mean CPU ms per run, all threads")
    print(f"{'shape':16} {'pass':16} {'graft ms':>9} {'torch ms':>9} {'layout':>13} "
          f"{'graft/torch':>11} {'graft GFLOP/s':>13} {'graft cpu':>9} {'torch cpu':>9} {'cpu ratio':>9}")
    for name, n, hw, cin, cout, k, pad in SHAPES:
        flops = 2.0 * n * hw * hw * cout * cin * k * k
        for pname in PASSES:
            key = (name, pname)
            if key not in best:  # a shape left out of this run (SHAPES)
                continue
            t, layout = best[key]
            g = graft.get(key)
            if g is None:
                print(f"{name:16} {pname:16} {'-':>9} {t*1e3:9.2f} {layout:>13}")
                continue
            line = (f"{name:16} {pname:16} {g*1e3:9.2f} {t*1e3:9.2f} {layout:>13} "
                    f"{g/t:11.2f} {flops/g/1e9:13.1f}")
            if key in gcpu:
                line += f" {gcpu[key]*1e3:9.2f} {tcpu[key]*1e3:9.2f} {gcpu[key]/tcpu[key]:9.2f}"
            print(line)


if __name__ == "__main__":
    if sys.argv[1] == "measure":
        measure(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    elif sys.argv[1] == "shapes":
        print(" ".join(s[0] for s in SHAPES))
    else:
        table(sys.argv[2], sys.argv[3])
