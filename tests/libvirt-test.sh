#!/usr/bin/env bash
# The libvirt backend against real daemons: the same verdicts as direct
# QEMU on the local daemon and on a "remote" one (TCP on 127.0.0.1, its
# own mount namespace, the results dir hidden from it), the faults (no
# daemon, a daemon killed mid-run, Ctrl-C), and with MMREPRO_LIBVIRT_PARALLEL=1
# the same verify table serially, with --jobs 2 and over two URIs.
set -uo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
mm=./build/mmrepro
port=${MMREPRO_LIBVIRT_PORT:-16510}
remote=qemu+tcp://127.0.0.1:$port/system
tmp=$(mktemp -d /tmp/mmrepro-libvirt-test.XXXXXX)
. tests/tap.sh
no_domains() { # uri: no mmrepro domain and no mmrepro volume is left
	! virsh -c "$1" list --all --name 2>/dev/null | grep -q mmrepro &&
		! virsh -c "$1" vol-list mmrepro 2>/dev/null | grep -q mmrepro
}

if [ "$(id -u)" != 0 ]; then
	echo "libvirt-test: needs root to start libvirtd for qemu:///system" >&2
	exit 125
fi
LV_HIDE=$tmp
. tests/libvirt-daemons.sh
# A failed check keeps its dirs, so the run that differed can be read.
trap 'lv_stop; keep_or_remove "$tmp"' EXIT
lv_start_local || exit 125
lv_start_remote "$port" || exit 125

# same CASE BACKEND-ARGS...: runs CASE on deb:6.12 through libvirt and
# compares with the direct QEMU verdict of the same kernel.
same() {
	local case=$1 label=$2; shift 2
	local q="$tmp/$case-qemu" l="$tmp/$case-$label"
	[ -e "$q" ] || $mm run "$case" --kernel deb:6.12 --out "$q" >/dev/null 2>&1
	$mm run "$case" --kernel deb:6.12 --out "$l" "$@" >"$l.out" 2>&1
	local rc=$? want
	want=$(field "$q/run-1/result.json" "r['verdict']")
	echo "# $case via $label: exit $rc, $(field "$l/run-1/result.json" "r['verdict'], r['seconds']['total']")"
	check "$case via $label: the verdict of direct QEMU ($want)" \
		test "$(field "$l/run-1/result.json" "r['verdict']")" = "$want"
	check "$case via $label: result.json names the libvirt host" \
		test "$(field "$l/run-1/result.json" "r['backend'] + ' ' + r['host']")" = "libvirt ${!#}"
	check "$case via $label: console.log and timings" \
		test -s "$l/run-1/console.log" -a "$(field "$l/run-1/result.json" "1 if r['seconds']['boot'] > 0 else 0")" = 1
	check "$case via $label: the domain booted the uploaded volumes" \
		grep -q "<kernel>/var/lib/libvirt/mmrepro/mmrepro-" "$l/run-1/domain.xml"
}

for c in smoke numa-thp-migrate cma-longterm-pin; do
	same "$c" local --backend libvirt --connect qemu:///system
done
check "cma-longterm-pin via libvirt is CONF on deb:6.12" \
	test "$(field "$tmp/cma-longterm-pin-local/run-1/result.json" "r['verdict']")" = CONF
check "numa-thp-migrate via libvirt moved THPs between its nodes" \
	test "$(field "$tmp/numa-thp-migrate-local/run-1/result.json" "1 if r['workload']['vmstat_delta'].get('thp_migration_success',0) > 0 else 0")" = 1
for c in smoke numa-thp-migrate; do
	same "$c" remote --backend libvirt --connect "$remote"
done
check "no domain or volume is left on either host" bash -c "$(declare -f no_domains); no_domains qemu:///system && no_domains '$remote'"

# No daemon: named, exit 125.
msg=$($mm run smoke --backend libvirt --connect qemu+tcp://127.0.0.1:9/system --out "$tmp/nodaemon" 2>&1); rc=$?
check "no daemon: exit 125" test "$rc" = 125
check "no daemon: the host is named" grep -q "host qemu+tcp://127.0.0.1:9/system is unreachable" <<<"$msg"

# The remote daemon killed mid-run: an infra result, retried on the local host.
printf '%s slots=1\nqemu:///system slots=1\n' "$remote" >"$tmp/hosts"
$mm run smoke --kernel deb:6.12 --hosts "$tmp/hosts" --out "$tmp/killed" >"$tmp/killed.out" 2>&1 &
pid=$!
for _ in $(seq 1 150); do [ -s "$tmp/killed/run-1/console.log" ] && break; sleep 0.2; done
lv_kill_remote
wait "$pid"; rc=$?
check "daemon killed mid-run: the run is retried and passes (exit 0)" test "$rc" = 0
check "daemon killed mid-run: the retry ran on the other host" \
	test "$(field "$tmp/killed/run-1/result.json" "r['host'] + ' ' + r['verdict']")" = "qemu:///system PASS"
check "daemon killed mid-run: the failed attempt is kept as infra, never a verdict" \
	test "$(field "$tmp/killed/run-1.infra-1/result.json" "'%s %s %s' % (r['infra'], r['verdict'], r['host'])")" = "True BROK $remote"
check "daemon killed mid-run: the summary counts one run" test "$(field "$tmp/killed/result.json" "len(r['runs'])")" = 1
# QEMU outlives a killed libvirtd; its guest is stopped by hand.
name=$(sed -n 's:.*<name>\(.*\)</name>.*:\1:p' "$tmp/killed/run-1.infra-1/domain.xml")
[ -n "$name" ] && pkill -f "guest=$name," 2>/dev/null

# Ctrl-C: exit 130, the domain and its volumes are gone.
$mm run numa-thp-migrate --kernel deb:6.12 --backend libvirt --out "$tmp/intr" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 150); do grep -q 'workload-start' "$tmp/intr/run-1/console.log" 2>/dev/null && break; sleep 0.2; done
kill -INT "$pid"
wait "$pid"; rc=$?
check "Ctrl-C: exit 130" test "$rc" = 130
check "Ctrl-C: result.json says interrupted" test "$(field "$tmp/intr/run-1/result.json" "r['verdict']")" = INTERRUPTED
check "Ctrl-C: virsh list --all has no domain, no volume is left" no_domains qemu:///system

if [ "${MMREPRO_LIBVIRT_PARALLEL:-0}" = 1 ]; then
	lv_start_remote "$((port + 1))" || exit 125
	remote2=qemu+tcp://127.0.0.1:$((port + 1))/system
	printf 'qemu:///system slots=1\n%s slots=1\n' "$remote2" >"$tmp/hosts2"
	table() { # verify args...: the per-variant outcome lines of verify.json
		local out dir
		out=$($mm verify madv-free-mthp --runs 4 "$@" 2>&1)
		dir=$(sed -n 's/^results: //p' <<<"$out" | tail -1)
		field "$dir/verify.json" "'; '.join('%s %s %s/%s %s' % (v['variant'], v['tally']['verdict'], v['tally']['hits'], v['tally']['runs'], v['matches']) for v in r['variants'])"
	}
	serial=$(table); echo "# serial: $serial"
	jobs2=$(table --jobs 2); echo "# --jobs 2: $jobs2"
	uris=$(table --hosts "$tmp/hosts2"); echo "# two URIs: $uris"
	check "verify --jobs 2 gives the serial table" test "$jobs2" = "$serial"
	check "verify over two libvirt URIs gives the serial table" test "$uris" = "$serial"
fi

echo "# libvirt-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
