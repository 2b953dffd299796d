#!/usr/bin/env bash
# make bench-peers: the honest answer to "why not just run the selftests".
# For each seed variant (a buggy or seed-fix kernel of a case), runs the
# suite's own case variant and the kernel's mm selftests that touch the
# same code, on the same kernel (spec + series), and writes one table row
# per variant: whether the case caught the bug, whether the selftests did
# (naming the failing test and subtest, and the subtests that fail on the
# fixed kernel too, which catch nothing), and the seconds each took.
# ROWS="case:variant:tests ..." picks rows; the default is every row below.
set -uo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
mm=$PWD/build/mmrepro
out=results/bench-peers-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
table=$out/table.md

default_rows=(
	"cma-longterm-pin:buggy:gup_longterm,gup_test,cow"
	"cma-longterm-pin:seed-fix:gup_longterm,gup_test,cow"
	"cma-longterm-pin:fixed:gup_longterm,gup_test,cow"
	"numa-deferred-split-migrate:v5-buggy:migration,compaction_test,split_huge_page_test"
	"numa-deferred-split-migrate:v5-minimal:migration,compaction_test,split_huge_page_test"
	"numa-deferred-split-migrate:fixed:migration,compaction_test,split_huge_page_test"
	"madv-free-mthp:no-exclusive-check:cow,madv_populate,soft-dirty"
	"madv-free-mthp:large-folio-keeps-dirty:cow,madv_populate,soft-dirty"
	"madv-free-mthp-thread:v2-skip-large-folio:cow,madv_populate,soft-dirty"
	"madv-free-mthp:fixed:cow,madv_populate,soft-dirty"
)
read -r -a rows <<<"${ROWS:-${default_rows[*]}}"

# The variant's kernel and series, from its case file.
variant_key() { # case variant key
	awk -v v="[variant $2]" -v k="$3" '$0 == v {on=1; next} /^\[/ {on=0} on && $1 == k {sub(/^[^=]*= */, ""); print; exit}' "cases/$1.case"
}

{
	echo "| case | variant | kernel | case caught it | case s | selftests | selftests caught it (failing subtests) | also failing on the fixed kernel | selftests s |"
	echo "|---|---|---|---|---|---|---|---|---|"
} >"$table"

for row in "${rows[@]}"; do
	IFS=: read -r case variant tests <<<"$row"
	kernel=$(variant_key "$case" "$variant" kernel)
	series=$(variant_key "$case" "$variant" series)
	sargs=()
	[ -n "$series" ] && sargs=(--series "$series")
	t0=$(date +%s)
	$mm verify "$case" --variant "$variant" --runs 1 --out "$out/$case-$variant-case" >"$out/$case-$variant-case.log" 2>&1
	t1=$(date +%s)
	caught=$(jq -r '.variants[0] | "\(.tally.hits)/\(.tally.valid) hit, \(if .matches then "as expected" else "NOT as expected" end)"' \
		"$out/$case-$variant-case/verify.json" 2>/dev/null || echo "?")
	$mm run --kselftest "mm:$tests" --kernel "$kernel" "${sargs[@]}" --out "$out/$case-$variant-ksft" \
		>"$out/$case-$variant-ksft.log" 2>&1
	t2=$(date +%s)
	res=$out/$case-$variant-ksft/run-1/result.json
	fails=$(jq -r '[.subtests[]? | select(.status == "FAIL" or .status == "ERROR") | "\(.test): \(.name)"] | join("; ")' "$res" 2>/dev/null)
	echo "$case $variant $kernel ${series:-} | $caught | $((t1 - t0)) s | $tests | ${fails:-none} | $((t2 - t1)) s"
	echo "| $case | $variant | $kernel ${series:+ + $series} | $caught | $((t1 - t0)) | $tests | ${fails:-none} | (see the fixed row) | $((t2 - t1)) |" >>"$table"
done
echo "bench-peers: table in $table"
