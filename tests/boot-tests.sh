#!/usr/bin/env bash
# Real boots of Debian's prebuilt kernels under QEMU, and the CLI's error
# paths. Each check asserts the exit code and the fields of result.json.
set -uo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
mm=./build/mmrepro
tmp=$(mktemp -d /tmp/mmrepro-boot-tests.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

ok()   { echo "ok - $1"; passed=$((passed + 1)); }
nok()  { echo "not ok - $1"; failed=$((failed + 1)); }
check() { # name, then a command that must succeed
	local name=$1; shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}
field() { # file, python expression over the parsed JSON `r`
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"
}

# run CASE KERNEL EXPECTED_EXIT EXPECTED_VERDICT
boot() {
	local case=$1 kernel=$2 want_rc=$3 want=$4 out="$tmp/$1-${2//[:\/]/_}" rc t0=$SECONDS
	$mm run "$case" --kernel "$kernel" --out "$out"
	rc=$?
	echo "# $case on $kernel: exit $rc in $((SECONDS - t0)) s"
	local res="$out/run-1/result.json"
	check "$case on $kernel exits $want_rc" test "$rc" = "$want_rc"
	check "$case on $kernel verdict is $want" test "$(field "$res" "r['verdict']")" = "$want"
	check "$case on $kernel result.json names the kernel release" \
		test -n "$(field "$res" "r['kernel_release'] or ''")"
	check "$case on $kernel result.json has the workload's own result" \
		test "$(field "$res" "r['workload']['verdict']")" = "$want"
	check "$case on $kernel boot phase timed" \
		test "$(field "$res" "1 if r['seconds']['boot'] > 0 else 0")" = 1
	for f in console.log qemu.cmdline guest/job.ini; do
		check "$case on $kernel left $f" test -s "$out/run-1/$f"
	done
	check "$case on $kernel wrote junit.xml and results.tap" test -s "$out/junit.xml" -a -s "$out/results.tap"
	LAST_OUT=$out
}

boot smoke deb:6.12 0 PASS
boot smoke deb:6.1 0 PASS
boot numa-thp-migrate deb:6.12 0 PASS
check "numa-thp-migrate moved THPs (thp_migration_success > 0)" \
	test "$(field "$LAST_OUT/run-1/result.json" "1 if r['workload']['vmstat_delta'].get('thp_migration_success',0) > 0 else 0")" = 1
check "numa-thp-migrate saw NUMA balancing migrate pages" \
	test "$(field "$LAST_OUT/run-1/result.json" "1 if r['workload']['vmstat_delta'].get('numa_pages_migrated',0) > 0 else 0")" = 1
boot cma-longterm-pin deb:6.12 125 CONF
check "cma-longterm-pin CONF names CONFIG_CMA" \
	grep -q CONFIG_CMA <<<"$(field "$LAST_OUT/run-1/result.json" "r['reason']")"

# Ctrl-C mid-workload: QEMU is killed, exit 130, result.json says so, the
# console is kept, nothing is left running.
$mm run numa-thp-migrate --kernel deb:6.12 --out "$tmp/intr" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do grep -q 'mmrepro-init: workload-start' "$tmp/intr/run-1/console.log" 2>/dev/null && break; sleep 0.1; done
kill -INT $pid
wait $pid
rc=$?
check "SIGINT exits 130" test "$rc" = 130
check "SIGINT leaves result.json saying interrupted" \
	test "$(field "$tmp/intr/run-1/result.json" "r['interrupted']")" = True
check "SIGINT keeps the partial console" grep -q 'mmrepro-init: workload-start' "$tmp/intr/run-1/console.log"
check "SIGINT leaves no QEMU behind" bash -c "! pgrep -f '[q]emu-system-x86_64.*$tmp/intr' >/dev/null"

# Bad input: clear message naming the file and line or option, exit 2.
printf '[case]\nname = bad\ndescription = d\n[vm]\nmemory = lots\n[guest]\nworkload = smoke\n' >"$tmp/bad.case"
msg=$($mm run "$tmp/bad.case" 2>&1); rc=$?
check "malformed case exits 2" test "$rc" = 2
check "malformed case names file:line" grep -q "$tmp/bad.case:5: 'memory' must be a size" <<<"$msg"
msg=$($mm run smoke --kernel bogus:1 2>&1); rc=$?
check "unknown kernel spec exits 2 and names it" test "$rc" = 2 -a -n "$(grep -- '--kernel bogus:1' <<<"$msg")"
msg=$($mm run smoke --runs zero 2>&1); rc=$?
check "bad --runs exits 2 and names it" test "$rc" = 2 -a -n "$(grep -- '--runs' <<<"$msg")"
msg=$($mm run no-such-case 2>&1); rc=$?
check "unknown case exits 2" test "$rc" = 2
msg=$($mm run smoke --kernel image:/nonexistent/bzImage 2>&1); rc=$?
check "missing image exits 125 and names it" test "$rc" = 125 -a -n "$(grep /nonexistent/bzImage <<<"$msg")"

# classify on the corpus: a crash exits 1 and prints the title.
out=$($mm classify tests/corpus/real-src612-v5-migrate-misplaced-folio-bug.log); rc=$?
check "classify a BUG exits 1" test "$rc" = 1
check "classify titles the seed 002 BUG" grep -q '"title":"kernel BUG in migrate_misplaced_folio"' <<<"$out"
out=$($mm classify - <"$tmp/intr/run-1/console.log"); rc=$?
check "classify a clean partial boot from stdin exits 0" test "$rc" = 0 -a -n "$(grep '"crash":false' <<<"$out")"

echo "boot-tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
