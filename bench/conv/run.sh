#!/bin/sh
# Times Graft's convolutions (go test -bench Conv) and PyTorch 1.13's at the
# same ResNet-50 shapes, batch 32, two threads, and prints both with their
# ratio. The two alternate shape by shape for ROUNDS rounds and each side
# keeps its best time, so that load from other processes on a shared
# machine hits both alike. Both report their fastest single run: Graft's over BENCHTIME runs
# (its best-ms metric, 20 by default), PyTorch's over 10 runs in each of its
# two memory layouts, so both sides get 20 tries a round. Both also report
# their mean CPU time per run (all threads, user + system), which waiting
# for a core on a loaded machine does not inflate.
# Run from anywhere: bench/conv/run.sh   (ROUNDS=3 for longer)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
goout=$(mktemp)
torchout=$(mktemp)
trap 'rm -f "$goout" "$torchout"' EXIT
cd "$root"
# PyTorch runs with jemalloc, as its own benchmarks recommend (glibc's malloc
# returns and re-faults its large buffers on every call).
if ! ldconfig -p 2>/dev/null | grep -q 'libjemalloc.so.2'; then
	echo "bench/conv: libjemalloc.so.2 not found (apt-get install libjemalloc2); PyTorch will run with glibc malloc" >&2
fi
py() {
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
		LD_PRELOAD=libjemalloc.so.2 MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1 \
		/usr/bin/python3 bench/conv/torch_conv.py "$@"
}
go test -c -o "$goout.test" ./compute/
trap 'rm -f "$goout" "$torchout" "$goout.test"' EXIT
# SHAPES="3x3_512-512_7 1x1_64-256_56" restricts the run to those shapes.
shapes=${SHAPES:-$(py shapes)}
round=0
while [ "$round" -lt "${ROUNDS:-2}" ]; do
	round=$((round + 1))
	echo "round $round" >&2
	# Shape by shape, so that the two sides of one comparison run seconds
	# apart, under much the same load.
	for shape in $shapes; do
		GOMAXPROCS=2 "$goout.test" -test.run '^$' -test.bench "^BenchmarkConv\$/^$shape\$/" \
			-test.benchtime "${BENCHTIME:-20x}" >>"$goout"
		py measure "$torchout" "$shape"
	done
done
py table "$goout" "$torchout"
