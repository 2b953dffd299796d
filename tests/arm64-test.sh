#!/usr/bin/env bash
# arm64 guests end to end (make check-arm64): src:deb-6.12 cross-built for
# arm64 (a cold build is about 12 minutes on 2 cores, then cached), booted
# on QEMU's virt machine under TCG; smoke passes (QEMU and libvirt), the
# Image and the result record the arch, a --repro is cross-compiled and
# runs, and madv-free-mthp-contpte gives every variant's verdict (Ryan
# Roberts's hazard fails on arm64 only).
set -uo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD MMREPRO_PROGRESS=1
mm=./build/mmrepro
tmp=$(mktemp -d /tmp/mmrepro-arm64-test.XXXXXX)
. tests/tap.sh
trap 'keep_or_remove "$tmp"' EXIT

t0=$SECONDS
img=$($mm build --kernel src:deb-6.12 --arch arm64); rc=$?
echo "# arm64 build: exit $rc in $((SECONDS - t0)) s: $img"
check "build src:deb-6.12 --arch arm64" test "$rc" = 0 -a -s "$img"
check "the cache keeps an arm64 Image" test "$(basename "$img")" = Image
check "the Image is arm64's (magic ARMd at 0x38)" test "$(od -An -c -j 56 -N 4 "$img" | tr -d ' ')" = 'ARMd'
check "the kernel has contpte" grep -qx 'CONFIG_ARM64_CONTPTE=y' "$(dirname "$img")/config"

t0=$SECONDS
$mm run smoke --arch arm64 --kernel src:deb-6.12 --out "$tmp/smoke"; rc=$?
echo "# arm64 smoke: exit $rc in $((SECONDS - t0)) s"
check "smoke --arch arm64 --kernel src:deb-6.12 passes" test "$rc" = 0
check "it booted qemu-system-aarch64 on virt" grep -q 'qemu-system-aarch64' "$tmp/smoke/run-1/qemu.cmdline"
check "the results came back over the virtio console" \
	test "$(field "$tmp/smoke/run-1/result.json" "r['workload']['verdict']")" = PASS
check "result.json says tcg for an arm64 guest" \
	grep -q 'an arm64 guest' <(field "$tmp/smoke/run-1/result.json" "r['accel_reason']")

# The built kernels have no SysRq, so the reproducer here is one that
# exits at once and is run again and again until its deadline.
$mm run --repro tests/repro/exits-at-once.c --repro-time 5 --arch arm64 --kernel src:deb-6.12 \
	--out "$tmp/repro" >"$tmp/repro.log" 2>&1; rc=$?
check "a cross-compiled --repro runs on the arm64 guest (PASS, exit 0)" test "$rc" = 0
# Compiled now or found in the cache: either way the binary is arm64's
# (ELF e_machine 183, EM_AARCH64).
bin=$(grep -o '/[^ ()]*/repro/[0-9a-f]*/repro' "$tmp/repro.log" | head -1)
check "the reproducer was built for arm64 (aarch64-linux-gnu-gcc)" \
	test "$(od -An -tu2 -j18 -N2 "$bin" 2>/dev/null | tr -d ' ')" = 183
check "the arm64 guest ran it again and again (repro_runs > 1)" \
	test "$(field "$tmp/repro/run-1/result.json" "int(r['workload']['values']['repro_runs']) > 1")" = True

# The libvirt backend renders an aarch64 domain; it needs the daemons.
. tests/libvirt-daemons.sh
if lv_start_local; then
	$mm run smoke --arch arm64 --kernel src:deb-6.12 --backend libvirt --out "$tmp/libvirt"; rc=$?
	check "smoke --arch arm64 through libvirt passes" test "$rc" = 0
	check "its domain is aarch64 on virt with GICv3" \
		grep -q "<type arch='aarch64' machine='virt'>" "$tmp/libvirt/run-1/domain.xml"
	lv_stop
else
	nok "libvirt's daemons did not start (./run.sh setup installs them)"
fi

$mm verify madv-free-mthp-contpte --runs 1 --out "$tmp/contpte"; rc=$?
check "madv-free-mthp-contpte: every variant as expected (arm64 and the x86 control)" test "$rc" = 0
echo "arm64-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
