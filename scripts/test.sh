#!/usr/bin/env bash
# Runs Graft's tests: every package, and the concurrent ones again under the
# race detector. Tests that need ../shared or Fashion-MNIST skip with a
# message when those are absent.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -count=1 ./...
race_pkgs=$(go list ./compute/... ./data/... ./serve/... 2>/dev/null || true)
if [ -n "$race_pkgs" ]; then
  go test -count=1 -race -short $race_pkgs
fi
