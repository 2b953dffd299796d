#!/usr/bin/env bash
# Tree bisection (bisect --good/--bad) end to end on a throwaway git history
# of Debian's 6.12 source (make e2e; tests/make-history.sh makes it, which
# needs the src:deb-6.12 base unpacked once). Each tested commit is an
# incremental build of one changed file in the cache's worktree of that
# history; hist-base is built cold once. RUNS=N sets the runs per step.
#
#   hist-a: base h1 h2 h3 h4 V5 h5 h6 h7 h8   V5 = patches/numa-deferred-split-v5
#   hist-b: base h1 h2 h3 B4 V5' h5 .. h8     B4 does not build, V5' repairs it
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
export MMREPRO_ROOT=$PWD
mm=${MMREPRO_BIN:-./build/mmrepro}   # MMREPRO_BIN: a stand-in, to try the assertions
runs=${RUNS:-2}
case_=numa-deferred-split-migrate
CACHE=${MMREPRO_CACHE:-$HOME/.cache/mmrepro}
REPO=$CACHE/test-history/linux
tmp=$(mktemp -d /tmp/mmrepro-bisect-test.XXXXXX)
# The bisections and the replay add worktrees of $REPO under $tmp.
. tests/tap.sh
# A failed check keeps its dirs, so the run that differed can be read.
trap 'keep_or_remove "$tmp"; git -C "$REPO" worktree prune 2>/dev/null' EXIT
passed=0 failed=0
check() { local n=$1; shift; if "$@"; then echo "ok - $n"; passed=$((passed+1)); else echo "not ok - $n"; failed=$((failed+1)); fi; }
field() { python3 -c "import json,sys; g=json.load(open(sys.argv[1])); print($2)" "$1"; }
# When something failed, the end of each command's output helps.
tails() { local f; for f in "$tmp"/[!h]*.out; do [ -f "$f" ] && { echo "# --- tail of $(basename "$f")"; tail -n 25 "$f" | sed 's/^/# /'; }; done; }

bash tests/make-history.sh >"$tmp/history.out" 2>&1; rc=$?
if [ "$rc" != 0 ]; then
	cat "$tmp/history.out"
	echo "bisect-test: tests/make-history.sh failed (exit $rc)"
	exit "$rc"
fi
sha() { git -C "$REPO" rev-parse "$1^{commit}"; }
base=$(sha hist-base)
a_culprit=$(sha hist-a-culprit) a_tip=$(sha hist-a-tip)
b_broken=$(sha hist-b-broken) b_culprit=$(sha hist-b-culprit)

# --- History a: a clean search to hist-a-culprit. ---
t0=$SECONDS
$mm bisect "$case_" --kernel "git:$REPO" --good hist-base --bad hist-a-tip --runs "$runs" --out "$tmp/a" \
	>"$tmp/a.out" 2>&1; rc=$?
echo "# bisect of hist-a: exit $rc in $((SECONDS - t0)) s"
a="$tmp/a/bisect.json"
check "bisect of hist-a exits 0" test "$rc" = 0
check "bisect.json names hist-a-culprit" test "$(field "$a" "g['culprit']['commit']")" = "$a_culprit"
check "with its subject" test "$(field "$a" "g['culprit']['subject']")" = \
	"$(git -C "$REPO" log -1 --format=%s "$a_culprit")"
check "its author" bash -c '[[ "$1" == *"dev@mmrepro.invalid"* || "$1" == mmrepro* ]]' _ \
	"$(field "$a" "g['culprit']['author']")"
check "its date" test -n "$(field "$a" "g['culprit']['date']")"
check "and the crash title" bash -c '[[ "$1" == *migrate_misplaced_folio* ]]' _ \
	"$(field "$a" "g['culprit']['title']")"
# Steps are the searched commits only: the two ends and the culprit checks
# are elsewhere (ends, checks); a step at either end would not count anyway.
steps_a=$(field "$a" "len([s for s in g['steps'] if s['commit'] not in ('$base', '$a_tip')])")
echo "# hist-a: $steps_a searched steps"
check "in at most ceil(log2 9) + 2 = 6 searched steps" test "$steps_a" -le 6
check "every step has commit, verdict, hits, valid, build_seconds, run_seconds" test "$(field "$a" \
	"all(set(s) >= {'commit','verdict','hits','valid','build_seconds','run_seconds'} and s['verdict'] in ('good','bad','skip') for s in g['steps'])")" = True
# Every commit of hist-a builds, and the bug is there exactly from V5 on.
verdicts=$(field "$a" "'\n'.join(s['commit'] + ' ' + s['verdict'] for s in g['steps'])" 2>/dev/null)
verdicts_ok=0
[ -n "$verdicts" ] && verdicts_ok=1
while read -r c v; do
	[ -n "$c" ] || continue
	if git -C "$REPO" merge-base --is-ancestor "$a_culprit" "$c"; then want=bad; else want=good; fi
	[ "$v" = "$want" ] || { echo "# step $c: $v, expected $want"; verdicts_ok=0; }
done <<<"$verdicts"
check "each step is bad from hist-a-culprit on and good before it, none skipped" test "$verdicts_ok" = 1
check "the culprit check is bad" test "$(field "$a" "g['checks']['culprit']['verdict']")" = bad
check "its parent is good" test "$(field "$a" "g['checks']['parent']['verdict']")" = good
check "and the tip with it reverted is good" test "$(field "$a" "g['checks']['revert']['verdict']")" = good
check "confidence is a number" test "$(field "$a" "isinstance(g['confidence'], (int, float)) and not isinstance(g['confidence'], bool)")" = True
check "flags is a list of strings" test "$(field "$a" "isinstance(g['flags'], list) and all(isinstance(f, str) for f in g['flags'])")" = True
check "bisect.log starts with git bisect start" bash -c "head -n 5 '$tmp/a/bisect.log' | grep -q '^git bisect start'"
# git bisect replay of the log, in a scratch worktree of the same repository.
git -C "$REPO" worktree add -q -f --detach --no-checkout "$tmp/replay" "$a_tip" >"$tmp/replay.out" 2>&1 &&
	git -C "$tmp/replay" bisect replay "$tmp/a/bisect.log" >>"$tmp/replay.out" 2>&1; rc=$?
check "git bisect replay of bisect.log works" test "$rc" = 0
check "and ends with hist-a-culprit as bisect/bad" test "$(git -C "$tmp/replay" rev-parse -q --verify refs/bisect/bad 2>/dev/null)" = "$a_culprit"
git -C "$REPO" worktree remove --force "$tmp/replay" >/dev/null 2>&1

# --- History a again with --runs auto: the same culprit, and the runs
# each way (BENCHMARKS.md). The kernels are cached, so only runs differ.
# points: the ends and steps, then the culprit checks; "runs/seconds" of each.
points='[list(g["ends"].values()) + g["steps"], [c for c in g.get("checks", {}).values() if "tally" in c]]'
used() { field "$1" "' + '.join('%d runs/%d s' % (sum(p['tally']['runs'] for p in ps), round(sum(p.get('run_seconds', 0) for p in ps))) for ps in $points)"; }
used_runs() { field "$1" "sum(p['tally']['runs'] for ps in $points for p in ps)"; }
t0=$SECONDS
$mm bisect "$case_" --kernel "git:$REPO" --good hist-base --bad hist-a-tip --runs auto --out "$tmp/auto" \
	>"$tmp/auto.out" 2>&1; rc=$?
echo "# bisect of hist-a with --runs auto: exit $rc in $((SECONDS - t0)) s"
check "--runs auto names hist-a-culprit too" test "$(field "$tmp/auto/bisect.json" "g['culprit']['commit']")" = "$a_culprit"
check "its bisect.json says runs auto" test "$(field "$tmp/auto/bisect.json" "g['runs']")" = auto
check "fewer runs in all than --runs $runs" test "$(used_runs "$tmp/auto/bisect.json")" -lt "$(used_runs "$a")"
check "every good step took at most 2 runs (a bug that always hits)" test "$(field "$tmp/auto/bisect.json" \
	"all(s['tally']['runs'] <= 2 for s in g['steps'] if s['verdict'] == 'good')")" = True
check "it states its confidence and how it is computed" test "$(field "$tmp/auto/bisect.json" \
	"0 < g['confidence'] <= 1 and 'product' in g['confidence_method']")" = True
echo "# runs used on hist-a (ends and steps + culprit checks): --runs $runs $(used "$a"); --runs auto $(used "$tmp/auto/bisect.json")"

# --- A fix bisection: hist-c carries the bug from hist-a and drops it at
# hist-c-fix. The first fixed commit, its checks, and a Fixed-by line.
c_fix=$(sha hist-c-fix)
t0=$SECONDS
$mm bisect "$case_" --kernel "git:$REPO" --fix --broken hist-a-culprit --fixed hist-c-tip --out "$tmp/c" \
	>"$tmp/c.out" 2>&1; rc=$?
echo "# fix bisection of hist-c: exit $rc in $((SECONDS - t0)) s"
c="$tmp/c/bisect.json"
check "fix bisection exits 0" test "$rc" = 0
check "it names hist-c-fix as the fix" test "$(field "$c" "g['culprit']['commit']")" = "$c_fix"
check "bisect.json says mode fix and role fix" test "$(field "$c" "g['mode'] + ' ' + g['culprit']['role']")" = "fix fix"
check "the fix is fixed, its parent broken, the fixed end with the fix reverted broken again" \
	test "$(field "$c" "' '.join(g['checks'][k]['term'] for k in ('culprit', 'parent', 'revert'))")" = "fixed broken broken"
check "the last line is a Fixed-by: tag line" \
	bash -c '[[ "$(tail -n 1 "$1")" == "Fixed-by: ${2:0:12} (\"mm: drop the deferred split v5 change again (test history fix)\")" ]]' _ "$tmp/c.out" "$c_fix"
check "the report says fixed by" grep -q '^fixed by' "$tmp/c.out"
check "equal ends are refused with 2 before a build" bash -c \
	"$mm bisect $case_ --kernel git:$REPO --fix --broken hist-c-tip --fixed hist-c-tip --out $tmp/c2 >/dev/null 2>&1; [ \$? = 2 ]"

# --- One title: a title the bug does not have makes every crash an
# "other crash"; the bad end is then a skip, never bad, and nothing is
# blamed.
$mm bisect "$case_" --kernel "git:$REPO" --good hist-base --bad hist-a-tip --title 'no such bug title' \
	--out "$tmp/t" >"$tmp/t.out" 2>&1; rc=$?
check "a bisection on another title exits 125 (the bad end is not bad)" test "$rc" = 125
check "its bad end counted other crashes, no hit" test "$(field "$tmp/t/bisect.json" \
	"g['ends']['bad-end']['tally']['other_crash'] > 0 and g['ends']['bad-end']['tally']['hits'] == 0")" = True
check "and was a skip naming them" grep -q 'only other crashes' "$tmp/t.out"

# --- History b: the commit before the culprit does not build. ---
t0=$SECONDS
$mm bisect "$case_" --kernel "git:$REPO" --good hist-base --bad hist-b-tip --runs "$runs" --out "$tmp/b" \
	>"$tmp/b.out" 2>&1; rc=$?
echo "# bisect of hist-b: exit $rc in $((SECONDS - t0)) s"
b="$tmp/b/bisect.json"
check "bisect of hist-b exits 0 or 125 (inconclusive)" bash -c "[ $rc = 0 ] || [ $rc = 125 ]"
check "hist-b-culprit is the culprit or a candidate" test "$(field "$b" \
	"'$b_culprit' in [(g.get('culprit') or {}).get('commit')] + list(g.get('candidates') or [])")" = True
if [ "$rc" = 0 ]; then
	check "a conclusive bisection names hist-b-culprit" test "$(field "$b" "g['culprit']['commit']")" = "$b_culprit"
else
	check "an inconclusive one lists candidates" test "$(field "$b" "len(g.get('candidates') or [])")" -ge 2
fi
check "hist-b-broken was a step, skipped" test "$(field "$b" \
	"any(s['commit'] == '$b_broken' and s['verdict'] == 'skip' for s in g['steps'])")" = True
check "the output says hist-b-broken was skipped" grep -qiE "${b_broken:0:7}.*skip|skip.*${b_broken:0:7}" "$tmp/b.out"

# --- RESUME BLOCK (provisional: adjust to what --resume ends up doing) ---
# Interrupting a bisection is hard to script reliably, so this only checks
# that resuming the finished bisection of hist-a says the same culprit, exits
# 0, builds nothing (no new kernel in the cache) and takes under 60 s.
kernels_before=$(ls "$CACHE/kernels" 2>/dev/null | wc -l)
t0=$SECONDS
$mm bisect --resume "$tmp/a" >"$tmp/resume.out" 2>&1; rc=$?
took=$((SECONDS - t0))
echo "# bisect --resume of the finished hist-a: exit $rc in $took s"
check "--resume of a finished bisection exits 0" test "$rc" = 0
check "and prints the same culprit" grep -q "$a_culprit" "$tmp/resume.out"
check "without building a kernel" test "$(ls "$CACHE/kernels" 2>/dev/null | wc -l)" = "$kernels_before"
check "in under 60 s" test "$took" -lt 60
# --- end of RESUME BLOCK ---

# A bisection interrupted by Ctrl-C keeps what it gathered, and --resume
# goes on from its bisect.log to the same culprit. (The kernels are in the
# cache from the runs above, so this costs runs, not builds.)
$mm bisect "$case_" --kernel "git:$REPO" --good hist-base --bad hist-a-tip --runs "$runs" --out "$tmp/r" \
	>"$tmp/r.out" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
	[ "$(field "$tmp/r/bisect.json" "len(g['steps'])" 2>/dev/null)" = 1 ] && break
	sleep 0.25
done
sleep 2
kill -INT $pid; wait $pid; rc=$?
check "Ctrl-C stops a bisection with 130" test "$rc" = 130
check "what it gathered is kept in bisect.json" test "$(field "$tmp/r/bisect.json" "len(g['steps'])")" -ge 1
check "and in bisect.log" grep -q '^git bisect good\|^git bisect bad' "$tmp/r/bisect.log"
$mm bisect --resume "$tmp/r" >"$tmp/r2.out" 2>&1; rc=$?
check "--resume of the interrupted bisection exits 0" test "$rc" = 0
check "and names hist-a-culprit" test "$(field "$tmp/r/bisect.json" "g['culprit']['commit']")" = "$a_culprit"
check "keeping the steps from before the interruption" \
	test "$(field "$tmp/r/bisect.json" "g['steps'][0]['verdict']")" != ""

# The gate of a fix: on a base that carries the bug (hist-a-tip), a series
# that reverts the culprit is "fixed" and exits 0.
mkdir -p "$tmp/fix"
git -C "$REPO" diff --no-color "$a_culprit" "$a_culprit^" >"$tmp/fix/0001-revert-the-v5-form.patch"
echo 0001-revert-the-v5-form.patch >"$tmp/fix/series"
$mm gate --kernel "git:$REPO@hist-a-tip" --series "$tmp/fix" --cases "$case_" --runs "$runs" --out "$tmp/gate-fix" \
	>"$tmp/gate-fix.out" 2>&1; rc=$?
check "gate of a fix on a base that carries the bug exits 0" test "$rc" = 0
check "and calls the case fixed" test "$(field "$tmp/gate-fix/gate.json" "g['cases'][0]['outcome']")" = fixed

# A series fix bisection: a comment-only patch, then the revert; bisect
# --series --fix on the buggy base names patch 2 as the fix.
mkdir -p "$tmp/fix2"
git -C "$REPO" diff --no-color "hist-a-tip^" hist-a-tip >"$tmp/fix2/0001-comment.patch"
git -C "$REPO" diff --no-color "hist-a-tip^" hist-a-tip | sed 's/^+\(.*\)(mmrepro test history h8)$/+\1(mmrepro test history h8)(again)/' \
	>/dev/null
cp "$tmp/fix/0001-revert-the-v5-form.patch" "$tmp/fix2/0002-revert-the-v5-form.patch"
printf '0001-comment.patch\n0002-revert-the-v5-form.patch\n' >"$tmp/fix2/series"
$mm bisect "$case_" --kernel "git:$REPO@hist-a-tip^" --series "$tmp/fix2" --fix --out "$tmp/sfix" \
	>"$tmp/sfix.out" 2>&1; rc=$?
check "bisect --series --fix exits 0" test "$rc" = 0
check "and names patch 2 as the first fixing patch" test "$(field "$tmp/sfix/bisect.json" "g['first_fixed_patch']")" = 2
check "with a Fixed-by line" grep -q '^Fixed-by: 0002-revert-the-v5-form.patch' "$tmp/sfix.out"

[ "$failed" = 0 ] || tails
echo "bisect-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
