#!/usr/bin/env bash
# Gate and series blame end to end on Debian's 6.12 source (make e2e; needs
# the src:deb-6.12 base built once, about 11 minutes cold, then each series
# is an incremental build of 10-40 s). RUNS=N sets the runs per side;
# COUNTER_RUNS=N (default 3) those of the counter section. ONLY=seed or
# ONLY=counters runs one section.
set -uo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
mm=./build/mmrepro
runs=${RUNS:-2}
tmp=$(mktemp -d /tmp/mmrepro-gate-test.XXXXXX)
. tests/tap.sh
# A failed check keeps its dirs, so the run that differed can be read.
trap 'keep_or_remove "$tmp"' EXIT
passed=0 failed=0
check() { local n=$1; shift; if "$@"; then echo "ok - $n"; passed=$((passed+1)); else echo "not ok - $n"; failed=$((failed+1)); fi; }
field() { python3 -c "import json,sys; g=json.load(open(sys.argv[1])); print($2)" "$1"; }

want() { [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ]; }

seed_tests() {
# A series that regresses cma-longterm-pin and leaves madv-free-mthp alone.
t0=$SECONDS
$mm gate --kernel src:deb-6.12 --series patches/cma-gup-lru-drain-bug --cases cma-longterm-pin,madv-free-mthp \
	--runs "$runs" --out "$tmp/gate" >"$tmp/gate.out" 2>&1; rc=$?
echo "# gate: exit $rc in $((SECONDS - t0)) s"
g="$tmp/gate/gate.json"
check "gate of the seed bug exits 1" test "$rc" = 1
check "cma-longterm-pin is a regression" test "$(field "$g" "g['cases'][0]['outcome']")" = regression
check "madv-free-mthp is clean" test "$(field "$g" "g['cases'][1]['outcome']")" = clean
check "the regression names its one patch" \
	test "$(field "$g" "g['cases'][0]['blame']['file']")" = 0001-mm-gup-drain-only-folios-without-the-LRU-flag.patch
check "the head's counts carry an interval" test "$(field "$g" "len(g['cases'][0]['head']['ci95'])")" = 2
check "kcidb.json is valid KCIDB v5.3" python3 tests/kcidb-validate.py "$tmp/gate/kcidb.json"
check "junit.xml fails the regressed case" grep -q '<failure message="base 0/[0-9]* hits, head [0-9]*/[0-9]* hits: regression"' "$tmp/gate/junit.xml"
check "report.txt is a mail-ready report" bash -c "grep -q '^Verdict: REGRESSION' '$tmp/gate/report.txt' && grep -q 'Reported-by: <REPORTER>' '$tmp/gate/report.txt' && grep -q './run.sh run cma-longterm-pin --kernel src:deb-6.12' '$tmp/gate/report.txt'"

# The same gate with two cases at once (--jobs 2) gives the same outcomes.
$mm gate --kernel src:deb-6.12 --series patches/cma-gup-lru-drain-bug --cases cma-longterm-pin,madv-free-mthp \
	--runs "$runs" --jobs 2 --out "$tmp/gate-jobs" >"$tmp/gate-jobs.out" 2>&1; rc=$?
check "gate --jobs 2 exits 1 too" test "$rc" = 1
check "with the same outcomes" test "$(field "$tmp/gate-jobs/gate.json" "[c['outcome'] for c in g['cases']]")" = \
	"$(field "$g" "[c['outcome'] for c in g['cases']]")"

# A series that does not apply blocks the gate with its own status.
mkdir -p "$tmp/bad"
sed 's/^-\(.*The rare folio.*\)/-\1 NOT THERE/' patches/test-one-line/0001-*.patch >"$tmp/bad/0001-broken.patch"
echo 0001-broken.patch >"$tmp/bad/series"
$mm gate --kernel src:deb-6.12 --series "$tmp/bad" --cases smoke --runs 1 --out "$tmp/gate-bad" >"$tmp/gate-bad.out" 2>&1; rc=$?
check "a series that does not apply fails the gate (exit 1)" test "$rc" = 1
check "gate.json says the series does not apply" \
	test "$(field "$tmp/gate-bad/gate.json" "g['head_status']")" = "series does not apply"
check "and names the patch and hunk" grep -q "0001-broken.patch does not apply: hunk at mm/migrate.c:1750" "$tmp/gate-bad/report.txt"
check "found before the base was built or run" test ! -e "$tmp/gate-bad/smoke/base"

# Series blame: a harmless patch, the bug, another harmless patch: patch 2.
mkdir -p "$tmp/three"
cp patches/test-one-line/0001-*.patch "$tmp/three/0001-harmless-migrate.patch"
cp patches/cma-gup-lru-drain-bug/0001-*.patch "$tmp/three/0002-the-bug.patch"
cp tests/series/harmless-madvise-comment/0001-*.patch "$tmp/three/0003-harmless-madvise.patch"
printf '0001-harmless-migrate.patch\n0002-the-bug.patch\n0003-harmless-madvise.patch\n' >"$tmp/three/series"
t0=$SECONDS
$mm bisect cma-longterm-pin --kernel src:deb-6.12 --series "$tmp/three" --runs "$runs" --out "$tmp/blame" \
	>"$tmp/blame.out" 2>&1; rc=$?
echo "# series blame: exit $rc in $((SECONDS - t0)) s"
b="$tmp/blame/bisect.json"
check "series blame exits 0" test "$rc" = 0
check "series blame names patch 2" test "$(field "$b" "g['first_bad_patch']")" = 2
check "by its file name" test "$(field "$b" "g['file']")" = 0002-the-bug.patch
check "in at most ceil(log2 3) = 2 searched builds" test "$(field "$b" "g['builds']")" -le 2
check "after checking both ends" test "$(field "$b" "[e['verdict'] for e in g['ends']]")" = "['good', 'bad']"
}

# Each compared counter of a gate's one case: name, means, p, test, flagged.
counter_lines() {
	python3 -c "import json,sys
for c in json.load(open(sys.argv[1]))['cases'][0].get('counters', []):
    print('#   %-22s base %-9.6g head %-9.6g p %-9.3g %-19s %s' % (c['name'], c['base_mean'], c['head_mean'],
          c['p'], c['test'], 'FLAGGED' if c['flagged'] else ''))" "$1"
}

# Counter regressions: patches/test-thp-migration-fail-count makes every
# anonymous THP fault also count thp_migration_fail, and does nothing else:
# no crash, no failed check, one /proc/vmstat counter that moved. With 3
# runs a side gate uses Welch's t (an exact Mann-Whitney U needs 4 a side
# to go under p = 0.05). The two gates cannot share their runs: the exit
# code is the gate's own, so --fail-on-counters is a gate of its own (on
# the kernels the first one cached), with 4 runs a side: the rank test.
counter_tests() {
local crun=${COUNTER_RUNS:-3} g
local mrun=$((crun > 4 ? crun : 4))
t0=$SECONDS
$mm gate --kernel src:deb-6.12 --series patches/test-thp-migration-fail-count --cases numa-thp-migrate \
	--runs "$crun" --out "$tmp/gate-counters" >"$tmp/gate-counters.out" 2>&1; rc=$?
echo "# counter gate: exit $rc in $((SECONDS - t0)) s"
g="$tmp/gate-counters/gate.json"
echo "# kernel $(field "$tmp/gate-counters/numa-thp-migrate/head/run-1/result.json" \
	"g['kernel_release'] + ', ' + g.get('kernel_source', '?')")"
counter_lines "$g"
sed -n '/^  case /,$s/^/# /p' "$tmp/gate-counters.out"
sed -n '/counters that moved/,/^$/s/^/# /p' "$tmp/gate-counters/report.txt"
check "a series that only moves a counter exits 0" test "$rc" = 0
check "numa-thp-migrate is changed" test "$(field "$g" "g['cases'][0]['outcome']")" = changed
check "thp_migration_fail and nothing else is flagged" \
	test "$(field "$g" "[c['name'] for c in g['cases'][0]['counters'] if c['flagged']]")" = "['thp_migration_fail']"
check "every declared counter is compared" test "$(field "$g" "len(g['cases'][0]['counters'])")" = 7
check "report.txt names the counter" bash -c "grep -q '^Verdict: no regression, but counters changed' \
	'$tmp/gate-counters/report.txt' && grep -q '^    thp_migration_fail: base 0, head' '$tmp/gate-counters/report.txt'"
check "the terminal table too" grep -q '^    thp_migration_fail: base 0, head' "$tmp/gate-counters.out"
check "the gate page shows the counters" grep -q 'counters compared, 1 changed</h2>' "$tmp/gate-counters/report.html"

t0=$SECONDS
$mm gate --kernel src:deb-6.12 --series patches/test-thp-migration-fail-count --cases numa-thp-migrate \
	--runs "$mrun" --fail-on-counters --out "$tmp/gate-counters-fail" >"$tmp/gate-counters-fail.out" 2>&1; rc=$?
echo "# counter gate --fail-on-counters: exit $rc in $((SECONDS - t0)) s"
counter_lines "$tmp/gate-counters-fail/gate.json"
check "with --fail-on-counters it exits 1" test "$rc" = 1
check "still changed, not a regression" \
	test "$(field "$tmp/gate-counters-fail/gate.json" "g['cases'][0]['outcome']")" = changed
check "junit.xml fails the case" grep -q '<failure message=' "$tmp/gate-counters-fail/junit.xml"
check "by the exact rank test at 4 runs a side" test "$(field "$tmp/gate-counters-fail/gate.json" \
	"[c['test'] for c in g['cases'][0]['counters'] if c['flagged']]")" = "['mann-whitney exact']"

# The base against itself: a series that only touches a comment (gate
# needs a series, and an empty one is refused), so nothing may flag even
# with --fail-on-counters.
t0=$SECONDS
$mm gate --kernel src:deb-6.12 --series tests/series/harmless-madvise-comment --cases numa-thp-migrate \
	--runs "$crun" --fail-on-counters --out "$tmp/gate-same" >"$tmp/gate-same.out" 2>&1; rc=$?
echo "# base against itself: exit $rc in $((SECONDS - t0)) s"
g="$tmp/gate-same/gate.json"
counter_lines "$g"
check "the base against itself exits 0 under --fail-on-counters" test "$rc" = 0
check "and is clean" test "$(field "$g" "g['cases'][0]['outcome']")" = clean
check "with no counter flagged" test "$(field "$g" "g['cases'][0]['counters_flagged']")" = 0
}

want seed && seed_tests
want counters && counter_tests

echo "gate-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
