#!/usr/bin/env bash
# A throwaway git history of Debian's 6.12 source for tree bisection tests
# (tests/bisect-test.sh). Idempotent: when the repository already holds the
# history this recipe makes, it does nothing.
#
#   $CACHE/test-history/linux    (CACHE = ${MMREPRO_CACHE:-~/.cache/mmrepro})
#
# cloned --shared --no-checkout from the suite's unpacked linux-source-6.12
# ($CACHE/src/deb-6.12.*, one commit "pristine"), so its objects are shared
# and nothing is checked out here. Commits are made with plumbing (a private
# index, commit-tree) and fixed names and dates, so their hashes are the same
# on every run over the same pristine commit.
#
#   hist-a: base h1 h2 h3 h4 V5 h5 h6 h7 h8
#   hist-b: base h1 h2 h3 B4 V5' h5' h6' h7' h8'
#   hist-c: hist-a's h8, f1 f2 F f3 f4    F reverts V5: the fix
#
# base = the pristine commit (tag hist-base). h1..h8 each change one line
# inside a comment of a different compiled mm/ file: madvise, mprotect,
# mremap, mlock, mmap, rmap, vmscan, page_alloc. V5 applies
# patches/numa-deferred-split-v5 (the seed-002 bug) with its own subject. In
# hist-b, B4 puts a stray token after mm/mlock.c's header comment (the tree
# does not build), and V5' applies the same patch and repairs that line.
# hist-b shares base..h3 with hist-a (same hashes).
#
# Tags: hist-base, hist-a-culprit, hist-a-tip, hist-b-broken, hist-b-culprit,
# hist-b-tip, hist-c-fix, hist-c-tip; branches hist-a, hist-b and hist-c
# point at the tips.
# Exit: 0 ready, 125 the src:deb-6.12 base is not in the cache, 1 error.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${MMREPRO_CACHE:-$HOME/.cache/mmrepro}
REPO=$CACHE/test-history/linux
PATCHES=$ROOT/patches/numa-deferred-split-v5
# Bump when anything below changes the commits it makes.
RECIPE=2

die() { echo "make-history: $*" >&2; exit 1; }

src=
for d in "$CACHE"/src/deb-6.12.*; do
	case $d in *.ready|*.tmp) continue ;; esac
	[ -d "$d" ] && [ -e "$d.ready" ] && src=$d
done
if [ -z "$src" ] || ! git -C "$src" rev-parse -q --verify 'HEAD^{commit}' >/dev/null; then
	echo "make-history: no unpacked linux-source-6.12 in $CACHE/src; run ./run.sh build --kernel src:deb-6.12 first" >&2
	exit 125
fi
# Always the committed pristine tree: the work tree may hold the last series.
base=$(git -C "$src" rev-parse 'HEAD^{commit}')
[ "$(git -C "$src" log -1 --format=%s "$base")" = pristine ] ||
	die "$src: HEAD ($base) is not the commit \"pristine\""

mkdir -p "$CACHE/test-history"
exec 9>"$CACHE/test-history/.lock"
flock 9

stamp="recipe $RECIPE base $base"
tags="hist-base hist-a-culprit hist-a-tip hist-b-broken hist-b-culprit hist-b-tip hist-c-fix hist-c-tip"

up_to_date() {
	local t
	git -C "$REPO" rev-parse -q --git-dir >/dev/null 2>&1 || return 1
	[ "$(git -C "$REPO" config --get mmrepro.history 2>/dev/null)" = "$stamp" ] || return 1
	for t in $tags; do
		git -C "$REPO" rev-parse -q --verify "refs/tags/$t^{commit}" >/dev/null || return 1
	done
	[ "$(git -C "$REPO" rev-parse hist-base)" = "$base" ] &&
	[ "$(git -C "$REPO" rev-parse -q --verify refs/heads/hist-a)" = "$(git -C "$REPO" rev-parse hist-a-tip)" ] &&
	[ "$(git -C "$REPO" rev-parse -q --verify refs/heads/hist-b)" = "$(git -C "$REPO" rev-parse hist-b-tip)" ] &&
	[ "$(git -C "$REPO" rev-parse -q --verify refs/heads/hist-c)" = "$(git -C "$REPO" rev-parse hist-c-tip)" ] &&
	git -C "$REPO" cat-file -e "hist-a-tip^{tree}" && git -C "$REPO" cat-file -e "hist-b-tip^{tree}"
}

show() {
	local t
	echo "make-history: $REPO"
	for t in $tags; do
		printf '  %-15s %s %s\n' "$t" "$(git -C "$REPO" rev-parse "$t")" "$(git -C "$REPO" log -1 --format=%s "$t")"
	done
}

if up_to_date; then
	echo "make-history: up to date"
	show
	exit 0
fi

old_base=
if git -C "$REPO" rev-parse -q --git-dir >/dev/null 2>&1 && git -C "$REPO" cat-file -e "$base^{commit}" 2>/dev/null; then
	old_base=$(git -C "$REPO" config --get mmrepro.history 2>/dev/null | sed -n 's/.* base //p' || true)
	echo "make-history: rebuilding the history in $REPO"
else
	# No repository, or one whose shared objects are gone (the cache's
	# source was unpacked again): start over. Worktrees the suite made
	# from the old one in the cache would point at nothing; drop them.
	for w in "$CACHE"/worktrees/*; do
		[ -f "$w/.git" ] && grep -q "^gitdir: $REPO/.git/" "$w/.git" && rm -rf "$w"
	done
	rm -rf "$REPO"
	echo "make-history: cloning $src into $REPO"
	git clone -q --shared --no-checkout "$src" "$REPO"
	git -C "$REPO" cat-file -e "$base^{commit}" || die "the clone lacks $base"
fi
if [ -n "$old_base" ] && [ "$old_base" != "$base" ]; then
	for w in "$CACHE"/worktrees/*; do
		[ -f "$w/.git" ] && grep -q "^gitdir: $REPO/.git/" "$w/.git" && rm -rf "$w"
	done
	git -C "$REPO" worktree prune
fi

g() { git -C "$REPO" "$@"; }
work=$(mktemp -d /tmp/make-history.XXXXXX)
trap 'rm -rf "$work"' EXIT
export GIT_INDEX_FILE=$work/index
export GIT_AUTHOR_NAME="mmrepro test history" GIT_AUTHOR_EMAIL=history@mmrepro.invalid
export GIT_COMMITTER_NAME="mmrepro test history" GIT_COMMITTER_EMAIL=history@mmrepro.invalid
when=1798761600   # 2027-01-01 00:00 UTC, plus an hour per commit of a branch

# commit PARENT MSGFILE [AUTHOR_NAME AUTHOR_EMAIL]: the index as a commit.
commit() {
	local tree
	tree=$(g write-tree)
	GIT_AUTHOR_DATE="@$when +0000" GIT_COMMITTER_DATE="@$when +0000" \
		GIT_AUTHOR_NAME=${3:-$GIT_AUTHOR_NAME} GIT_AUTHOR_EMAIL=${4:-$GIT_AUTHOR_EMAIL} \
		g commit-tree --no-gpg-sign "$tree" -p "$1" -F "$2"
}

# set_line PARENT FILE N TEXT: put TEXT as line N of FILE in the index.
set_line() {
	local mode blob
	mode=$(g ls-tree "$1" -- "$2" | cut -d' ' -f1)
	[ -n "$mode" ] || die "$2 is not in $1"
	blob=$(g cat-file blob "$1:$2" | N=$3 T=$4 awk 'NR == ENVIRON["N"] { $0 = ENVIRON["T"] } 1' |
		g hash-object -w --stdin)
	g update-index --cacheinfo "$mode,$blob,$2"
}

# harmless PARENT FILE TAG: append to line 3 of FILE, which must sit inside
# the header block comment; prints the new commit.
harmless() {
	local line msg=$work/msg name=${2#mm/}
	line=$(g cat-file blob "$1:$2" | awk 'NR < 3 { if (index($0, "/*")) c = 1; if (index($0, "*/")) c = 0 }
		NR == 3 { if (c && $0 ~ /^ \*/ && !index($0, "*/") && !index($0, "/*")) print; else print "NO"; exit }')
	if [ -z "$line" ] || [ "$line" = NO ]; then die "$2 line 3 is not inside a block comment"; fi
	g read-tree "$1"
	set_line "$1" "$2" 3 "$line (mmrepro test history $3)"
	printf 'mm/%s: comment touch-up (test history %s)\n\nOne line inside the header comment of %s; nothing it compiles changes.\n' \
		"${name%.c}" "$3" "$2" >"$msg"
	commit "$1" "$msg"
}

# broken PARENT: a stray token after mm/mlock.c's header comment (line 7).
broken() {
	local msg=$work/msg
	[ "$(g cat-file blob "$1:mm/mlock.c" | sed -n 7p)" = " */" ] || die "mm/mlock.c line 7 is not ' */'"
	g read-tree "$1"
	set_line "$1" mm/mlock.c 7 " */ mmrepro_test_history_does_not_build"
	printf 'mm/mlock: stray token after the header comment (test history h4, does not build)\n\nA token outside the comment: mm/mlock.c no longer compiles, and neither\ndoes the kernel. The next commit repairs it.\n' >"$msg"
	commit "$1" "$msg"
}

# culprit PARENT [repair]: patches/numa-deferred-split-v5 as one commit with
# the first patch's subject, author and description.
culprit() {
	local msg=$work/msg first p author
	g read-tree "$1"
	first=
	while read -r p; do
		case $p in ''|'#'*) continue ;; esac
		[ -n "$first" ] || first=$PATCHES/$p
		g apply --cached "$PATCHES/$p" || die "$PATCHES/$p does not apply on $1"
	done <"$PATCHES/series"
	[ -n "$first" ] || die "$PATCHES/series names no patch"
	{
		sed -n 's/^Subject: *\(\[[^]]*\] *\)\{0,1\}//p' "$first" | head -1
		echo
		awk 'h && /^---$/ { exit } h { print } /^$/ && !h { h = 1 }' "$first"
		if [ "${2:-}" = repair ]; then
			echo
			echo "Also repairs mm/mlock.c line 7, which the previous commit broke (test history)."
		fi
	} >"$msg"
	if [ "${2:-}" = repair ]; then
		set_line "$1" mm/mlock.c 7 " */"
	fi
	author=$(sed -n 's/^From: *//p' "$first" | head -1)
	commit "$1" "$msg" "${author% <*}" "$(echo "$author" | sed -n 's/.*<\(.*\)>.*/\1/p')"
}

# fixed PARENT: the same series reverted (last patch first), as one commit:
# the fix that a fix bisection of hist-c must name.
fixed() {
	local msg=$work/msg p
	g read-tree "$1"
	grep -v -e '^$' -e '^#' "$PATCHES/series" | tac | while read -r p; do
		g apply -R --cached "$PATCHES/$p" || die "$PATCHES/$p does not revert on $1"
	done
	printf 'mm: drop the deferred split v5 change again (test history fix)\n\nReverts the culprit of hist-a: the bug is gone from here on.\n' >"$msg"
	commit "$1" "$msg"
}

files=(mm/madvise.c mm/mprotect.c mm/mremap.c mm/mlock.c mm/mmap.c mm/rmap.c mm/vmscan.c mm/page_alloc.c)

# history NAME: build branch NAME (hist-a or hist-b) and its tags.
history() {
	local c=$base i
	when=1798761600
	for i in 1 2 3 4; do
		when=$((when + 3600))
		if [ "$1" = hist-b ] && [ "$i" = 4 ]; then
			c=$(broken "$c")
			g tag -f hist-b-broken "$c" >/dev/null
		else
			c=$(harmless "$c" "${files[i-1]}" "h$i")
		fi
	done
	when=$((when + 3600))
	if [ "$1" = hist-b ]; then c=$(culprit "$c" repair); else c=$(culprit "$c"); fi
	g tag -f "$1-culprit" "$c" >/dev/null
	for i in 5 6 7 8; do
		when=$((when + 3600))
		c=$(harmless "$c" "${files[i-1]}" "h$i")
	done
	g tag -f "$1-tip" "$c" >/dev/null
	g branch -f "$1" "$c" >/dev/null
}

# hist-c: hist-a's tip (the bug in), f1 f2, the fix, f3 f4.
history_c() {
	local c i
	c=$(g rev-parse hist-a-tip)
	when=$((1798761600 + 20 * 3600))
	for i in 1 2 3 4; do
		when=$((when + 3600))
		if [ "$i" = 3 ]; then
			c=$(fixed "$c")
			g tag -f hist-c-fix "$c" >/dev/null
			when=$((when + 3600))
		fi
		c=$(harmless "$c" "${files[i-1]}" "f$i")
	done
	g tag -f hist-c-tip "$c" >/dev/null
	g branch -f hist-c "$c" >/dev/null
}

g tag -f hist-base "$base" >/dev/null
history hist-a
history hist-b
history_c
g config mmrepro.history "$stamp"
up_to_date || die "the history does not check out after building it"
show
