#!/bin/sh
# Times Graft's Gemm against numpy's OpenBLAS sgemm at n×n×n (default 2048),
# alternating ROUNDS times, both on THREADS threads (default 2), and prints
# each round's median GFLOP/s, the ratio graft/openblas per round, and the
# median ratio. Besides wall-clock rates it prints CPU-time-normalised ones
# (GFLOP per CPU-second × threads), which hold up better on a shared box.
#   bench/gemm/run.sh [n] [rounds] [reps]
set -eu
cd "$(dirname "$0")/../.."
N=${1:-2048}
ROUNDS=${2:-5}
REPS=${3:-10}
THREADS=${THREADS:-2}
BIN=$(mktemp -d)/gemm
go build -o "$BIN" ./bench/gemm/
field() { echo "$1" | sed -E "s/.* $2=([0-9.]+).*/\1/"; }
ratios=""
cpuratios=""
for r in $(seq "$ROUNDS"); do
	g=$(GOMAXPROCS=$THREADS "$BIN" -n "$N" -reps "$REPS")
	o=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=$THREADS \
		/usr/bin/python3 bench/gemm/numpy_sgemm.py "$N" "$REPS")
	ratio=$(awk -v a="$(field "$g" median)" -v b="$(field "$o" median)" 'BEGIN { printf "%.3f", a / b }')
	cpuratio=$(awk -v a="$(field "$g" median)" -v b="$(field "$o" median)" \
		-v c="$(field "$g" cpunorm)" -v d="$(field "$o" cpunorm)" \
		'BEGIN { printf "%.3f", c / d }')
	echo "round $r: $g"
	echo "round $r: $o"
	echo "round $r: ratio graft/openblas wall=$ratio cpu-normalised=$cpuratio"
	ratios="$ratios $ratio"
	cpuratios="$cpuratios $cpuratio"
done
median() { echo "$1" | tr ' ' '\n' | grep . | sort -n | awk '{ r[NR] = $1 } END { printf "%.3f", r[int((NR + 1) / 2)] }'; }
echo "median ratio over $ROUNDS rounds: wall=$(median "$ratios") cpu-normalised=$(median "$cpuratios")"
