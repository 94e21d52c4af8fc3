#!/usr/bin/env bash
# Runs every fuzz target in the module for a bounded time each (default 15s),
# one target per `go test -fuzz` invocation (Go fuzzes one target at a time).
# Each target's committed corpus (testdata/fuzz/FuzzX) seeds it; a new
# crasher lands there and fails the run. `scripts/fuzz.sh --list` only lists
# the targets. Called by .ci/run with FUZZTIME.
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-15s}"

targets=()
while IFS= read -r f; do
  pkg="./$(dirname "${f#./}")"
  for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    targets+=("$pkg $target")
  done
done < <(git ls-files '*_test.go' | xargs grep -l -E '^func Fuzz[A-Za-z0-9_]*\(' | sort)

if [ "$t" = "--list" ]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi

echo "${#targets[@]} fuzz targets, $t each"
for entry in "${targets[@]}"; do
  read -r pkg target <<<"$entry"
  echo "fuzz $pkg $target ($t)"
  if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" "$pkg"; then
    echo "fuzz.sh: $pkg $target failed; a crasher, if any, is in $pkg/testdata/fuzz/$target" >&2
    exit 1
  fi
done
