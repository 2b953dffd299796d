#!/usr/bin/env bash
# make e2e: the seed-bug reproductions. Every case that declares variants is
# verified: each variant must match its expectation (pass, fail with its
# titles, conf, or fail >= K/N), over RUNS runs each (default 5).
# Builds the kernels it needs (about 13 minutes per base when the cache is
# cold, under a minute per series after that). JOBS=J runs J VMs at once,
# FLAVOR=debug verifies the debug flavour, CASES="a b" limits the cases.
# Writes the hit-rate table, one row per variant with its interval, to
# results/e2e-<flavour>-<time>.md (the rows BENCHMARKS.md quotes).
set -uo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
runs=${RUNS:-5} jobs=${JOBS:-1} flavor=${FLAVOR:-normal}
mkdir -p results
table=results/e2e-$flavor-$(date +%Y%m%d-%H%M%S).md
passed=0 failed=0
cases=()
for f in cases/*.case; do
	grep -q '^\[variant ' "$f" || continue
	name=$(sed -n 's/^name *= *//p' "$f")
	if [ -n "${CASES:-}" ] && ! [[ " $CASES " == *" $name "* ]]; then
		continue
	fi
	cases+=("$name")
done

{
	echo "| case | variant | kernel | expected | verdict (bad: the bug hit) | hits/valid (95% interval) | s/run | matches |"
	echo "|---|---|---|---|---|---|---|---|"
} > "$table"

for name in "${cases[@]}"; do
	out=results/e2e-run-$name-$$
	rm -rf "$out"
	if ./build/mmrepro verify "$name" --runs "$runs" --jobs "$jobs" --flavor "$flavor" --out "$out"; then
		echo "ok - verify $name"; passed=$((passed + 1))
	else
		echo "not ok - verify $name"; failed=$((failed + 1))
	fi
	if [ -f "$out/verify.json" ]; then
		jq -r -f tests/e2e-rows.jq "$out/verify.json" >> "$table"
	else
		echo "| $name | (no verify.json) | | | | | | **no** |" >> "$table"
	fi
done
echo "e2e: $passed passed, $failed failed ($runs runs per variant, flavour $flavor); table: $table"
[ "$failed" = 0 ]
