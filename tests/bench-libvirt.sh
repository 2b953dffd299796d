#!/usr/bin/env bash
# make bench-libvirt: the libvirt backend's per-run overhead over direct
# QEMU (smoke on deb:6.12, wall seconds of the command, median of 5), and
# runs per minute of `verify madv-free-mthp --variant fixed --runs 8` with
# --jobs 1 and --jobs 2 on direct QEMU.
set -euo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
mm=./build/mmrepro
tmp=$(mktemp -d /tmp/mmrepro-bench-libvirt.XXXXXX)
. tests/libvirt-daemons.sh
trap 'lv_stop; rm -rf "$tmp"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wall() { local t0; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; echo "$(date +%s.%N) - $t0" | bc; }

lv_start_local
for i in 1 2 3 4 5; do
	echo "$(wall $mm run smoke --kernel deb:6.12 --out "$tmp/q-$i") $(wall $mm run smoke --kernel deb:6.12 --backend libvirt --out "$tmp/l-$i")"
done >"$tmp/pairs"
q=$(cut -d' ' -f1 "$tmp/pairs" | median)
l=$(cut -d' ' -f2 "$tmp/pairs" | median)
printf 'smoke on deb:6.12, median of 5: direct QEMU %.2f s, libvirt qemu:///system %.2f s, overhead %.2f s\n' "$q" "$l" \
	"$(echo "$l - $q" | bc)"

if [ "${MMREPRO_BENCH_VERIFY:-1}" = 1 ]; then
	for j in 1 2; do
		s=$(wall $mm verify madv-free-mthp --variant fixed --runs 8 --jobs "$j")
		printf 'verify madv-free-mthp --variant fixed --runs 8 --jobs %d: %.0f s, %.1f runs/min\n' "$j" "$s" \
			"$(echo "8 * 60 / $s" | bc -l)"
	done
fi
