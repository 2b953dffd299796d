#!/usr/bin/env bash
# Gate and series blame end to end on Debian's 6.12 source (make e2e; needs
# the src:deb-6.12 base built once, about 11 minutes cold, then each series
# is an incremental build of 10-40 s). RUNS=N sets the runs per side.
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

echo "gate-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
