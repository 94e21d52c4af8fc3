#!/bin/sh
# Times Graft's convolutions (go test -bench Conv) and PyTorch 1.13's at the
# same ResNet-50 shapes, batch 32, two threads, and prints both with their
# ratio. Graft's time is the best of COUNT averages over BENCHTIME runs,
# PyTorch's the best of 10 single runs per memory layout, so noise from a
# shared machine favours PyTorch if anyone.
# Run from anywhere: bench/conv/run.sh   (BENCHTIME=10x COUNT=5 for longer runs)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cd "$root"
GOMAXPROCS=2 go test -run '^$' -bench '^BenchmarkConv$' -benchtime "${BENCHTIME:-5x}" -count "${COUNT:-3}" ./compute/ | tee "$out"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
	LD_PRELOAD=libjemalloc.so.2 MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1 \
	/usr/bin/python3 bench/conv/torch_conv.py "$out"
