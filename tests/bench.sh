#!/usr/bin/env bash
# make bench: boot-to-init and whole-run seconds for smoke on deb:6.12 under
# this machine's accelerator (median of 5), and classifier throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
mm=./build/mmrepro
tmp=$(mktemp -d /tmp/mmrepro-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for k in deb:6.12 deb:6.1; do
	for i in 1 2 3 4 5; do
		$mm run smoke --kernel "$k" --out "$tmp/$k-$i" >/dev/null 2>&1
		python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['runs'][0]['seconds']; print(r['to_init'], r['total'])" "$tmp/$k-$i/result.json"
	done >"$tmp/times"
	printf 'smoke on %s: boot-to-init median %.1f s, whole run median %.1f s (5 runs, %s)\n' "$k" \
		"$(cut -d' ' -f1 "$tmp/times" | median)" "$(cut -d' ' -f2 "$tmp/times" | median)" \
		"$([ -w /dev/kvm ] && echo KVM || echo TCG)"
done

# Classifier throughput over clean logs (the classifier reads them to the
# end; a crash log stops at its first report), concatenated to ~50 MB.
clean=$(grep -l '^crash: false' tests/corpus/*.expect | sed 's/\.expect$/.log/')
: >"$tmp/clean.log"
while [ "$(stat -c %s "$tmp/clean.log")" -lt 50000000 ]; do cat $clean >>"$tmp/clean.log"; done
bytes=$(stat -c %s "$tmp/clean.log")
t0=$(date +%s.%N)
for i in 1 2 3 4 5; do $mm classify "$tmp/clean.log" >/dev/null; done
t1=$(date +%s.%N)
python3 -c "import sys; b,t=float(sys.argv[1]),float(sys.argv[2]); print('classifier: %.0f MB/s over %.0f MB of clean console logs (5 passes, file read and process start included)' % (5*b/1e6/t, b/1e6))" "$bytes" "$(echo "$t1 - $t0" | bc)"
