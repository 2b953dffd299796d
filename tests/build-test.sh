#!/usr/bin/env bash
# The build pipeline end to end: src:deb-6.12 + a one-line series, built
# (or found in the cache), booted, smoke PASS. Also: a series that does not
# apply exits 125 and names the patch and hunk; a bad fragment names itself.
set -uo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD MMREPRO_PROGRESS=1
mm=./build/mmrepro
tmp=$(mktemp -d /tmp/mmrepro-build-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { local n=$1; shift; if "$@"; then echo "ok - $n"; passed=$((passed+1)); else echo "not ok - $n"; failed=$((failed+1)); fi; }

t0=$SECONDS
img=$($mm build --kernel src:deb-6.12 --series patches/test-one-line); rc=$?
echo "# build: exit $rc in $((SECONDS - t0)) s: $img"
check "build src:deb-6.12 + test-one-line" test "$rc" = 0 -a -s "$img"
check "the build kept vmlinux, config, build.log, meta.json" \
	test -s "$(dirname "$img")/vmlinux" -a -s "$(dirname "$img")/config" -a -s "$(dirname "$img")/build.log" -a -s "$(dirname "$img")/meta.json"
check "the one-line change is in the built tree's log" grep -q "mm/migrate.c" "$(dirname "$img")/build.log"
t0=$SECONDS
img2=$($mm build --kernel src:deb-6.12 --series patches/test-one-line)
check "a second build is a cache hit (same path, under 5 s)" test "$img2" = "$img" -a $((SECONDS - t0)) -le 5

$mm run smoke --kernel src:deb-6.12 --series patches/test-one-line --out "$tmp/smoke"; rc=$?
check "smoke on the built kernel passes" test "$rc" = 0
check "result.json records the series" grep -q '"series":"[^"]*test-one-line' <(tr -d ' \n' <"$tmp/smoke/run-1/result.json")

# A series that does not apply: exit 125 (git bisect skip), names patch and hunk.
mkdir -p "$tmp/bad"
sed 's/^-\(.*The rare folio.*\)/-\1 NOT THERE/' patches/test-one-line/0001-*.patch >"$tmp/bad/0001-broken.patch"
echo 0001-broken.patch >"$tmp/bad/series"
msg=$($mm build --kernel src:deb-6.12 --series "$tmp/bad" 2>&1); rc=$?
check "a patch that does not apply exits 125" test "$rc" = 125
check "the error names the patch and the failing hunk" grep -q "0001-broken.patch does not apply: hunk at mm/migrate.c:1750" <<<"$msg"

# A fragment option that cannot stick names fragment and line.
printf 'CONFIG_CMA=y\nCONFIG_THIS_SYMBOL_DOES_NOT_EXIST=y\n' >"$tmp/bad.config"
msg=$($mm build --kernel src:deb-6.12 --config "$tmp/bad.config" 2>&1); rc=$?
check "an option that did not stick exits 125" test "$rc" = 125
check "the error names the fragment, line and option" grep -q "$tmp/bad.config:2: 'CONFIG_THIS_SYMBOL_DOES_NOT_EXIST=y' did not stick" <<<"$msg"

echo "build-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
