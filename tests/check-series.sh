#!/usr/bin/env bash
# make check-series: every series the cases name, applied (git apply, no
# build) to the newest packaged source of its kernel, so that a Debian
# update that moves the code under a patch is found in minutes, naming
# the series, the patch and the hunk. Unpacks each base once (about a
# minute) if the cache lacks it.
set -uo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
mm=$PWD/build/mmrepro
passed=0 failed=0
pairs=$(awk '/^\[variant /{k=""; s=""} /^kernel *=/{sub(/^[^=]*= */,""); k=$0} /^series *=/{sub(/^[^=]*= */,""); s=$0}
	k ~ /^src:/ && s != "" {print k " " s; k=""; s=""}' cases/*.case | sort -u)
while read -r kernel series; do
	[ -n "$kernel" ] || continue
	if out=$($mm apply-check --kernel "$kernel" --series "$series" 2>&1); then
		echo "ok - $series applies to $kernel"; passed=$((passed + 1))
	else
		echo "not ok - $series on $kernel: $(tail -n 1 <<<"$out")"; failed=$((failed + 1))
	fi
done <<<"$pairs"
echo "check-series: $passed passed, $failed failed"
[ "$failed" = 0 ]
