#!/usr/bin/env bash
# Every experiment file in experiments/ validates and runs as the README promises, from the
# project alone (the traces it reads are the project's own copies).
# usage: run_examples.sh BINARY EXPERIMENTS_DIR
set -euo pipefail
bin=$1 dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count=0
for file in "$dir"/*.yaml; do
  name=$(basename "$file" .yaml)
  "$bin" validate "$file" > /dev/null
  "$bin" run "$file" --out "$work/$name" --quiet
  test -s "$work/$name/summary.csv"
  count=$((count + 1))
done
[ "$count" -ge 7 ] || { echo "only $count experiment files found in $dir" >&2; exit 1; }
echo "$count experiment files validated and ran"
