#!/usr/bin/env bash
# The time to the first bug hit of the main job (./run.sh, that is
# `mmrepro reproduce`): runs it, stamps each line with the seconds since it
# started, and stops it as Ctrl-C does (SIGINT) at the first hit, or with
# --until-build when the first kernel build starts instead (the rows that
# needed none have run, and their tables show). A hit is the
# "first hit after" line, or, for a binary from before it, the first run
# line with the verdict FAIL. Prints "first-hit: S" (or "first-hit: none").
#   tests/bench-first-hit.sh [--until-build] [MMREPRO_BINARY] [-- REPRODUCE_ARGS]
# Boots VMs: run it under the machine's lock. MMREPRO_CACHE picks the cache.
set -uo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
until_build=
[ "${1:-}" = --until-build ] && { until_build=1; shift; }
mm=${1:-./build/mmrepro}
[ $# -gt 0 ] && shift
[ "${1:-}" = -- ] && shift
start=$(date +%s.%N)
coproc MM { exec "$mm" reproduce "$@" 2>&1; }
pid=$MM_PID
# The coproc's variables go when it ends; its output is read to the end.
exec {out}<&"${MM[0]}"
hit=
since() { echo "$(date +%s.%N) - $start" | bc; }
while IFS= read -r line <&"$out"; do
	t=$(since)
	printf '%7.1f %s\n' "$t" "$line"
	if [ -z "$hit" ] && { [[ $line == "mmrepro: first hit after"* ]] || [[ $line =~ \ run\ [0-9]+\ +FAIL\  ]]; }; then
		hit=$t
		[ -n "$until_build" ] || kill -INT "$pid"
	fi
	if [ -n "$until_build" ] && [[ $line == "mmrepro: building "* ]]; then
		echo "until-build: $t"
		kill -INT "$pid"
	fi
done
wait "$pid"
rc=$?
echo "first-hit: ${hit:-none}"
echo "exit: $rc"
