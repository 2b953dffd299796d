#!/usr/bin/env bash
# make bench-load: the race variants' hit rates three ways, side by side:
# on a quiet host (--jobs 1), two VMs at once (--jobs 2), and --jobs 1
# beside a kernel build on one core (the busy host). LOAD_RUNS (default 5)
# runs each; LOAD_VARIANTS "case:variant ..." (default: the cases marked
# quiet_host). Run it on an otherwise idle machine: the quiet column is
# only quiet if nothing else runs. Writes results/bench-load-<time>.md.
set -uo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
mm=./build/mmrepro
runs=${LOAD_RUNS:-5}
variants=${LOAD_VARIANTS:-"memcg-move-charge-rmap:v2-mapped-check memcg-move-charge-rmap:fixed-6.12 cma-vfio-nested-vm:buggy"}
src=$(ls -d "${XDG_CACHE_HOME:-$HOME/.cache}"/mmrepro/src/deb-6.12.* 2>/dev/null | grep -v '\.ready$' | head -n 1)
tmp=$(mktemp -d /tmp/mmrepro-bench-load.XXXXXX)
busy_pid=
# The build runs in a session of its own: its whole process group goes.
stop_busy() {
	if [ -n "$busy_pid" ]; then
		kill -- -"$busy_pid" 2>/dev/null
		wait "$busy_pid" 2>/dev/null
	fi
	busy_pid=
}
trap 'stop_busy; rm -rf "$tmp"' EXIT
[ -d "$src" ] || { echo "bench-load: no unpacked src:deb-6.12 in the cache (run ./run.sh run smoke --kernel src:deb-6.12 first)" >&2; exit 2; }
out=results/bench-load-$(date +%Y%m%d-%H%M%S).md

# A cold tinyconfig build on one core, ccache off: steady load, no end soon.
start_busy() {
	setsid bash -c 'make -s -C "$1" O="$2" tinyconfig >/dev/null 2>&1 &&
		CCACHE_DISABLE=1 exec make -s -C "$1" O="$2" -j1 vmlinux >/dev/null 2>&1' _ "$src" "$tmp/busy-obj" &
	busy_pid=$!
	sleep 20
}

# "hits/valid (others' CPU share)" from a verify.json's one variant.
cell() {
	python3 - "$1" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["variants"][0]
t = v["tally"]
share = v.get("others_cpu_share")
print("%s/%s %s (others %s)%s" % (t["hits"], t["valid"], t["verdict"],
      "?" if share is None else "%.0f%%" % (share * 100), "" if v["matches"] else ", **mismatch**"))
PY
}

{
	echo "| case | variant | quiet, --jobs 1 | --jobs 2 | busy host, --jobs 1 |"
	echo "|---|---|---|---|---|"
} | tee "$out"
for cv in $variants; do
	c=${cv%%:*} v=${cv#*:} row="| $c | $v"
	for how in quiet jobs2 busy; do
		jobs=1
		if [ "$how" = jobs2 ]; then jobs=2; fi
		if [ "$how" = busy ]; then start_busy; fi
		$mm verify "$c" --variant "$v" --runs "$runs" --jobs "$jobs" --out "$tmp/$c-$v-$how" >/dev/null 2>&1 || true
		if [ "$how" = busy ]; then stop_busy; fi
		row="$row | $(cell "$tmp/$c-$v-$how/verify.json" 2>/dev/null || echo "no result")"
	done
	echo "$row |" | tee -a "$out"
done
echo "bench-load: $runs runs each; written to $out"
