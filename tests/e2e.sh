#!/usr/bin/env bash
# make e2e: the seed-bug reproductions. Every case that declares variants is
# verified: each buggy variant must FAIL with its title, each fixed one PASS.
# Builds the kernels it needs (about 13 minutes per base when the cache is
# cold, under a minute per series after that). RUNS=N repeats each variant.
set -uo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
runs=${RUNS:-1}
passed=0 failed=0
for f in cases/*.case; do
	grep -q '^\[variant ' "$f" || continue
	name=$(sed -n 's/^name *= *//p' "$f")
	if ./build/mmrepro verify "$name" --runs "$runs"; then
		echo "ok - verify $name"; passed=$((passed + 1))
	else
		echo "not ok - verify $name"; failed=$((failed + 1))
	fi
done
echo "e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
