#!/bin/bash
# Runs one libFuzzer target: run.sh BINARY SECONDS MAX_LEN DICT SEED...
# The corpus grows under build/fuzz/<target>-corpus, never in the source
# tree; a crash, leak, timeout or guard abort makes it exit non-zero.
set -uo pipefail

bin=$1 seconds=$2 max_len=$3 dict=$4
shift 4
name=$(basename "$bin")
dir=$(dirname "$bin")
corpus=$dir/${name#fuzz_}-corpus
log=$dir/$name.log
mkdir -p "$corpus" "$dir/artifacts" || exit 1
cp -n -- "$@" "$corpus"/ || exit 1
echo "fuzz: $name for ${seconds}s, corpus $corpus, log $log"
"$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
	-dict="$dict" -print_final_stats=1 -artifact_prefix="$dir/artifacts/$name-" "$corpus" >"$log" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
	tail -n 40 "$log"
	echo "fuzz: $name FAILED (exit $status); the input is in $dir/artifacts/"
	exit "$status"
fi
grep -E '^(#[0-9]+[[:space:]]+DONE|Done [0-9]+ runs|stat::)' "$log"
