#!/usr/bin/env bash
# make bench-boot: the bare-boot limit (QEMU, the run's own command line, a
# static init that powers off at once) against a whole smoke run, paired
# run by run. BENCH_KERNEL (default src:deb-6.12), BENCH_RUNS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
kernel=${BENCH_KERNEL:-src:deb-6.12}
runs=${BENCH_RUNS:-5}
mm=./build/mmrepro
tmp=$(mktemp -d /tmp/mmrepro-bench-boot.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

mkdir "$tmp/root"
${CC:-gcc} -O2 -Wall -Wextra -Werror -static -o "$tmp/root/init" tests/bench/poweroff_init.c
(cd "$tmp/root" && echo init | cpio --quiet -o -H newc) >"$tmp/bare.cpio"

# One unmeasured run: builds the kernel if it must, warms the page cache
# and leaves the QEMU command line the bare boots reuse (only -kernel and
# -initrd change).
$mm run smoke --kernel "$kernel" --out "$tmp/warm" >/dev/null 2>&1 ||
	{ echo "bench-boot: smoke on $kernel failed; see $mm run smoke --kernel $kernel" >&2; exit 1; }
booted=$(grep -A1 "^  '-kernel'" "$tmp/warm/run-1/qemu.cmdline" | tail -n 1 | cut -d"'" -f2)
if [ "$(basename "$booted")" = vmlinux ]; then
	# The same build both ways: image: boots the bzImage beside the
	# vmlinux the suite boots through PVH.
	dir=$(dirname "$booted")
	variants=(--variant bzImage "$dir/bzImage" "image:$dir/bzImage,config=$dir/config,vmlinux=$dir/vmlinux"
		  --variant PVH "$booted" "$kernel")
else
	echo "bench-boot: $kernel boots $booted (no vmlinux with a PVH entry): bzImage only" >&2
	variants=(--variant bzImage "$booted" "$kernel")
fi
echo "bench-boot: smoke on $kernel, $runs pairs per image, $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['accel'])" "$tmp/warm/run-1/result.json")"
python3 tests/bench/boot_pairs.py --cmdline "$tmp/warm/run-1/qemu.cmdline" --bare-initrd "$tmp/bare.cpio" \
	--runs "$runs" --work "$tmp" "${variants[@]}" -- $mm run smoke
