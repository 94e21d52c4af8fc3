#!/bin/sh
# Times Graft's Gemm against numpy's OpenBLAS sgemm at n×n×n (default 2048),
# alternating ROUNDS times, both on THREADS threads, and prints each round's
# median GFLOP/s and the median ratio. Run from anywhere:
#   bench/gemm/run.sh [n] [rounds] [reps]
set -eu
cd "$(dirname "$0")/../.."
N=${1:-2048}
ROUNDS=${2:-5}
REPS=${3:-10}
THREADS=${THREADS:-2}
BIN=$(mktemp -d)/gemm
go build -o "$BIN" ./bench/gemm/
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=$THREADS /usr/bin/python3 -c \
	'import numpy; numpy.show_config()' 2>/dev/null | grep -iE 'openblas|blas_opt|name' | head -5 || true
ratios=""
for r in $(seq "$ROUNDS"); do
	g=$(GOMAXPROCS=$THREADS "$BIN" -n "$N" -reps "$REPS")
	o=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=$THREADS \
		/usr/bin/python3 bench/gemm/numpy_sgemm.py "$N" "$REPS")
	echo "round $r: $g"
	echo "round $r: $o"
	gm=$(echo "$g" | sed -E 's/.*median=([0-9.]+).*/\1/')
	om=$(echo "$o" | sed -E 's/.*median=([0-9.]+).*/\1/')
	ratio=$(awk -v a="$gm" -v b="$om" 'BEGIN { printf "%.3f", a / b }')
	echo "round $r: ratio graft/openblas = $ratio"
	ratios="$ratios $ratio"
done
echo "$ratios" | tr ' ' '\n' | grep . | sort -n | awk '{ r[NR] = $1 } END { printf "median ratio over %d rounds: %.3f\n", NR, r[int((NR + 1) / 2)] }'
