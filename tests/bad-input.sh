#!/usr/bin/env bash
# The bad-input matrix: every row is a bad input or fault, run through the
# real CLI. Each row asserts the exit code, that the message names the file
# and line or the option, that no hostile string ran, and that the results
# gathered before it (a real smoke run) are intact. No row builds a kernel.
set -uo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
mm=$PWD/build/mmrepro
tmp=$(mktemp -d /tmp/mmrepro-bad-input.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
. tests/tap.sh

# The results that must survive every row.
kept="$tmp/kept"
$mm run smoke --kernel deb:6.12 --out "$kept" >/dev/null 2>&1 || nok "the smoke run the matrix protects"
digest() { (cd "$kept" && find . -type f ! -name .lock -print0 | sort -z | xargs -0 sha256sum | sha256sum); }
kept_digest=$(digest)

# row NAME WANT_RC PATTERN CMD...: PATTERN (grep -E) must be in stderr+stdout.
row() {
	local name=$1 want=$2 pattern=$3 out rc
	shift 3
	out=$(cd "$tmp/cwd" && "$@" 2>&1 </dev/null); rc=$?
	if [ "$rc" != "$want" ]; then
		nok "$name: exit $rc, want $want ($(head -c 300 <<<"$out"))"
	elif ! grep -qE -- "$pattern" <<<"$out"; then
		nok "$name: message lacks /$pattern/ ($(head -c 300 <<<"$out"))"
	elif [ -n "$(find / -xdev -maxdepth 1 -name 'PWNED*' 2>/dev/null; find "$tmp" -name 'PWNED*')" ]; then
		nok "$name: a hostile string ran a command"
	elif [ "$(digest)" != "$kept_digest" ]; then
		nok "$name: earlier results changed"
	else
		ok "$name"
	fi
}
mkdir -p "$tmp/cwd"

# case FILE-NAME TEXT: writes a case file under $tmp.
case_file() { printf '%b' "$2" >"$tmp/$1.case"; echo "$tmp/$1.case"; }
good='[case]\nname = c\ndescription = d\n[vm]\nmemory = 512M\n[guest]\nworkload = smoke\n'

# ---- 1. accelerator ---------------------------------------------------------
row "--accel with a bad value" 2 "--accel bogus: expected auto, kvm or tcg" $mm run smoke --accel bogus
row "--arch with a bad value" 2 "--arch aarch64: expected x86_64 or arm64" $mm run smoke --arch aarch64
row "--arch arm64 on a prebuilt kernel" 2 "--arch arm64 needs a source kernel .*deb:6.12 is an x86_64 kernel" \
	$mm run smoke --arch arm64 --kernel deb:6.12
row "build --arch arm64 of a prebuilt kernel" 2 "--arch arm64 needs a source kernel" \
	$mm build --arch arm64 --kernel deb:6.1
row "bisect --resume with --arch" 2 "--arch arm64" $mm bisect --resume /nonexistent --arch arm64
row "MMREPRO_ACCEL with a bad value" 2 "MMREPRO_ACCEL=fast: expected auto, kvm or tcg" \
	env MMREPRO_ACCEL=fast $mm run smoke
if ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
	row "--accel kvm where KVM cannot run a guest" 125 "--accel kvm: KVM cannot run a normal guest here" \
		$mm run smoke --kernel deb:6.12 --accel kvm --out "$tmp/o-kvm"
fi

# ---- 3. no shell, ever -------------------------------------------------------
row "git: spec with a quote and a command" 2 "--kernel git:" \
	$mm run smoke --kernel "git:/x'; touch $tmp/PWNED; echo '@HEAD"
row "git: spec with \$() and backticks" 2 "--kernel git:" \
	$mm build --kernel "git:/x\$(touch $tmp/PWNED2)\`touch $tmp/PWNED3\`@HEAD"
row "image: path with a command" 2 "--kernel image:" $mm run smoke --kernel "image:/x';touch $tmp/PWNED4;'"
mkdir -p "$tmp/hostile-series"
printf 'not a patch\n' >"$tmp/hostile-series/x';touch\${IFS}PWNED5;'.patch"
printf "x';touch\${IFS}PWNED5;'.patch\n" >"$tmp/hostile-series/series"
row "a hostile patch name on a prebuilt kernel" 2 "--series needs a source kernel" \
	$mm run smoke --kernel deb:6.12 --series "$tmp/hostile-series"
row "--config with a command in its name" 2 "--config" \
	$mm build --kernel src:deb-6.12 --config "$tmp/\$(touch PWNED6).config"

# ---- 5. exit codes and input errors ----------------------------------------
row "unknown command" 2 "unknown command 'frobnicate'" $mm frobnicate
row "unknown option" 2 "unknown or incomplete option '--frob'" $mm run smoke --frob
row "--runs not a number" 2 "--runs: expected a number" $mm run smoke --runs many
row "--runs zero" 2 "--runs: expected a number from 1" $mm run smoke --runs 0
row "--jobs zero" 2 "--jobs 0: expected auto or a number from 1 to 64" $mm run smoke --jobs 0
row "--jobs negative" 2 "--jobs -1: expected auto or a number" $mm verify smoke --jobs -1
row "--jobs not a number" 2 "--jobs abc: expected auto or a number" $mm reproduce --jobs abc
row "--jobs auto with a suffix" 2 "--jobs auto5: expected auto or a number" \
	$mm gate --kernel src:deb-6.12 --series "$tmp/hostile-series" --jobs auto5
row "--jobs above 64" 2 "--jobs 65: expected auto or a number" $mm bisect smoke --kernel src:deb-6.12 --jobs 65
row "--jobs auto on another machine's libvirt" 2 "--jobs auto counts this machine's cores and memory" \
	$mm run smoke --backend libvirt --connect qemu+tcp://127.0.0.1:9/system --jobs auto
row "--backend with a bad value" 2 "--backend xen: expected qemu or libvirt" $mm run smoke --backend xen
row "--connect without the libvirt backend" 2 "--connect qemu:///system goes with --backend libvirt" \
	$mm run smoke --connect qemu:///system
row "--hosts file that does not exist" 2 "--hosts $tmp/no-hosts" $mm run smoke --hosts "$tmp/no-hosts"
printf 'qemu:///system slots=2\nqemu+tcp://h/system slots=many\n' >"$tmp/hosts-bad"
row "--hosts line with bad slots names file:line" 2 "$tmp/hosts-bad:2: expected 'URI \\[slots=N\\]'" \
	$mm run smoke --hosts "$tmp/hosts-bad"
printf '# lab\nhypervisor-7 slots=2\n' >"$tmp/hosts-nouri"
row "--hosts line that is not a URI names file:line" 2 "$tmp/hosts-nouri:2: 'hypervisor-7' is not a libvirt URI" \
	$mm run smoke --hosts "$tmp/hosts-nouri"
row "--hosts with --jobs" 2 "drop --backend, --connect and --jobs" $mm run smoke --hosts "$tmp/hosts-nouri" --jobs 2
row "--jobs auto with --hosts" 2 "drop --backend, --connect and --jobs" \
	$mm run smoke --hosts "$tmp/hosts-nouri" --jobs auto
row "every libvirt host unreachable" 125 "host qemu\\+tcp://127.0.0.1:9/system is unreachable" \
	$mm run smoke --backend libvirt --connect qemu+tcp://127.0.0.1:9/system
row "--timeout negative" 2 "--timeout" $mm run smoke --timeout -5
row "run without a case" 2 "run: which case" $mm run
row "run with a stray argument" 2 "unexpected argument 'extra'" $mm run smoke extra
row "an unknown case" 2 "no case 'no-such-case'" $mm run no-such-case
# A case without variants is verified on its default kernels (that boots):
# one with neither is refused before anything runs.
f=$(case_file no-variants-no-kernels "$good")
row "verify a case without variants or default kernels" 2 \
	"$f: no \[variant ...\] sections and no default kernels to verify on" $mm verify "$f" --out "$tmp/o-nv"
row "verify an unknown variant" 2 "--variant nope: .* has no such variant" $mm verify numa-deferred-split-migrate --variant nope
row "classify a missing file" 2 "classify: cannot read /nonexistent.log" $mm classify /nonexistent.log
row "unknown kernel spec" 2 "--kernel bogus:1: unknown kernel spec" $mm run smoke --kernel bogus:1
row "deb: of a series Debian does not have" 2 "--kernel deb:5.10" $mm run smoke --kernel deb:5.10
row "image: that does not exist" 2 "--kernel image:/nonexistent/bzImage" $mm run smoke --kernel image:/nonexistent/bzImage
printf 'text\n' >"$tmp/not-a-kernel"
row "image: that is not a bzImage" 2 "--kernel image:$tmp/not-a-kernel" $mm run smoke --kernel "image:$tmp/not-a-kernel"
row "image: with a missing modules dir" 2 "modules" \
	$mm run smoke --kernel "image:/boot/vmlinuz-$(ls /boot | sed -n 's/^vmlinuz-\(6\.12.*\)/\1/p' | head -1),modules=/nonexistent"
row "git: path that does not exist" 2 "--kernel git:/nonexistent/linux@HEAD" $mm build --kernel git:/nonexistent/linux@HEAD
mkdir -p "$tmp/not-a-repo"
row "git: path that is not a repository" 2 "--kernel git:$tmp/not-a-repo@HEAD" $mm build --kernel "git:$tmp/not-a-repo@HEAD"
git init -q "$tmp/repo" && git -C "$tmp/repo" -c user.name=t -c user.email=t@t commit -q --allow-empty -m init
row "git: revision that is not a commit" 2 "no-such-rev" $mm build --kernel "git:$tmp/repo@no-such-rev"
row "git: without @REV" 2 "expected git:/path/to/linux@REV" $mm build --kernel "git:$tmp/repo"
row "git: commit that is not a kernel tree" 2 "not a kernel tree: no VERSION and PATCHLEVEL" \
	$mm build --kernel "git:$tmp/repo@HEAD"
row "dir: that does not exist" 2 "--kernel dir:/nonexistent" $mm build --kernel dir:/nonexistent
row "dir: that is not a kernel tree" 2 "--kernel dir:$tmp/not-a-repo" $mm build --kernel "dir:$tmp/not-a-repo"
row "--series on a prebuilt kernel" 2 "--series needs a source kernel" $mm run smoke --kernel deb:6.1 --series patches/test-one-line
printf 'just text\n' >"$tmp/notes.txt"
t0=$SECONDS
row "--series FILE that is no mbox with a patch (before any unpack)" 2 "--series $tmp/notes.txt" \
	$mm build --kernel src:deb-6.12 --series "$tmp/notes.txt"
[ $((SECONDS - t0)) -lt 20 ] && ok "a bad --series is refused before any tree is unpacked" || nok "a bad --series took $((SECONDS - t0)) s"
mkdir -p "$tmp/empty-series"
row "--series dir without a series file" 2 "--series $tmp/empty-series" $mm build --kernel src:deb-6.12 --series "$tmp/empty-series"
: >"$tmp/empty-series/series"
row "--series dir listing no patch" 2 "lists no patches" $mm build --kernel src:deb-6.12 --series "$tmp/empty-series"
row "--series that does not exist" 2 "--series /nonexistent/s" $mm build --kernel src:deb-6.12 --series /nonexistent/s
row "an option the command does not take" 2 "verify does not take --config" $mm verify smoke --config /dev/null
row "quick with --out" 2 "quick does not take --out" $mm quick --out "$tmp/q"
row "bisect --resume with --flavor" 2 "--flavor debug" $mm bisect --resume "$kept" --flavor debug
row "--runs auto outside bisect" 2 "run: --runs auto goes with bisect" $mm run smoke --runs auto
row "--runs that is neither a number nor auto" 2 "--runs: expected a number from 1 to 1000, got 'often'" $mm bisect smoke --kernel src:deb-6.12 --runs often
row "--alpha out of range" 2 "--alpha 0.9: expected a number from 1e-06 to 0.5" $mm bisect smoke --alpha 0.9
row "--alpha that is not a number" 2 "--alpha x" $mm bisect smoke --alpha x
row "--max-runs 0" 2 "--max-runs" $mm bisect smoke --max-runs 0
row "--max-runs 3 (the bad end needs 4)" 2 "--max-runs: expected a number from 4 to" $mm bisect smoke --max-runs 3
row "--fix with --good/--bad" 2 "bisect --fix takes --broken OLD and --fixed NEW" \
	$mm bisect smoke --kernel git:/x --fix --good a --bad b
row "--broken without --fix" 2 "--broken and --fixed go with bisect --fix" $mm bisect smoke --kernel git:/x --broken a --fixed b
row "--fix with only --broken" 2 "needs both --broken and --fixed" $mm bisect smoke --kernel git:/x --fix --broken a
row "--fix on bisect --resume" 2 "goes on as it began" $mm bisect --resume "$kept" --fix
row "--fix on another command" 2 "gate does not take --fix" $mm gate --kernel src:deb-6.12 --series /x --fix
row "gate --title that does not compile" 2 "--title" $mm gate --kernel src:deb-6.12 \
	--series "$MMREPRO_ROOT/patches/test-one-line" --cases smoke --title '/[unclosed/'
row "a relative --config that does not exist" 2 "--config nosuch.config: no such file" \
	$mm build --kernel src:deb-6.12 --config nosuch.config
row "--config that does not exist" 2 "--config /nonexistent.config" $mm build --kernel src:deb-6.12 --config /nonexistent.config
f=$(case_file missing-workload "${good/workload = smoke/workload = nosuch}")
row "a case naming a missing workload" 2 "$f:7: workload 'nosuch' does not exist" $mm run "$f"
f=$(case_file missing-series "$good[variant v]\nkernel = src:deb-6.12\nseries = patches/no-such-series\nexpect = fail\n")
row "a variant's missing series" 2 "$f:10: series 'patches/no-such-series' does not exist" $mm run "$f"
f=$(case_file mem-overflow "${good/memory = 512M/memory = 4294967296M}")
row "memory that overflows QEMU's -m" 2 "$f:5: 'memory' must be a size from 64M to 1T" $mm run "$f"
f=$(case_file mem-ub "${good/memory = 512M/memory = 99999999999999999G}")
row "memory that overflows the parser" 2 "$f:5: 'memory' must be a size" $mm run "$f"
f=$(case_file mem-units "${good/memory = 512M/memory = 5X}")
row "memory in unknown units names the units" 2 "$f:5: .*K, M, G|$f:5: .*\(.*T" $mm run "$f"
f=$(case_file numa-sum "${good/memory = 512M/memory = 512M\\ncpus = 2\\nnuma = 256M 128M}")
row "NUMA nodes that do not add up" 2 "$f: \[vm\] numa node sizes add up to 384M but memory is 512M" $mm run "$f"
f=$(case_file numa-cpus "${good/memory = 512M/memory = 512M\\ncpus = 3\\nnuma = 256M 256M}")
row "CPUs that do not divide among nodes" 2 "$f: \[vm\] 3 cpus do not divide evenly among 2 NUMA nodes" $mm run "$f"
f=$(case_file too-many-cpus "${good/memory = 512M/memory = 512M\\ncpus = 65}")
row "more CPUs than QEMU takes" 2 "$f:6: 'cpus' must be an integer from 1 to 64" $mm run "$f"

# ---- 6. results dirs --------------------------------------------------------
printf 'x\n' >"$tmp/a-file"
row "--out that is a file" 2 "--out $tmp/a-file: not a writable directory" $mm run smoke --out "$tmp/a-file"
row "--out under a file" 2 "--out $tmp/a-file/sub" $mm run smoke --out "$tmp/a-file/sub"
row "--out that already holds results" 2 "--out $kept: already holds results; pass --force" $mm run smoke --out "$kept"
row "--force without --out" 2 "--force goes with --out" $mm run smoke --force
f=$(case_file dotdot "${good/name = c/name = ..\/..\/x}")
row "a case name that is a path" 2 "$f:2: 'name' must be a plain word" $mm run "$f"

# ---- 7. case files ---------------------------------------------------------
long=$(printf 'x%.0s' $(seq 1 300))
f=$(case_file long-line "[case]\nname = c\ndescription = $long\n[vm]\nmemory = 512M\n[guest]\nworkload = smoke\n")
row "a line longer than inih's buffer" 2 "$f:3: line too long" $mm run "$f"
f=$(case_file dup-section "$good[vm]\ncpus = 2\n")
row "a duplicate section" 2 "$f:8: duplicate section \[vm\] \(first at line 4\)" $mm run "$f"
f=$(case_file dup-key "${good/memory = 512M/memory = 512M\\nmemory = 1G}")
row "a duplicate key" 2 "$f:6: duplicate key 'memory' in \[vm\] \(first at line 5\)" $mm run "$f"
f=$(case_file unterminated "[case\nname = c\n")
row "an unterminated section header" 2 "$f:1: unterminated section header" $mm run "$f"
f=$(case_file cgroup "${good/workload = smoke/workload = smoke\\ncgroup = v1:memory,bogus}")
row "an unknown cgroup v1 controller" 2 "$f:8: unknown cgroup v1 controller 'bogus'" $mm run "$f"
f=$(case_file boot-failure "${good/description = d/description = d\\nboot_failure = maybe}")
row "boot_failure with a bad value" 2 "$f:4: 'boot_failure' must be untestable or bug" $mm run "$f"
f=$(case_file unknown-key "${good/workload = smoke/workload = smoke\\nflavour = x}")
row "an unknown key" 2 "$f:8: unknown key 'flavour' in \[guest\]" $mm run "$f"
f=$(case_file unknown-section "$good[frob]\nx = 1\n")
row "an unknown section" 2 "$f:8: unknown section \[frob\]" $mm run "$f"
f=$(case_file missing-name '[case]\ndescription = d\n[guest]\nworkload = smoke\n')
row "a case without a name" 2 "$f: missing" $mm run "$f"
printf '[case]\nname = c\0x\n' >"$tmp/nul.case"
row "a NUL byte in a case file" 2 "$tmp/nul.case:2: NUL byte" $mm run "$tmp/nul.case"
# Fixes, expectations and per-variant settings (issue 13).
f=$(case_file old-fix "${good/description = d/description = d\\nfix = 33dfe9204f29 (\"x\")}")
row "the old free-text fix key" 2 "$f:4: 'fix' is replaced by 'fixes = SHA" $mm run "$f"
f=$(case_file short-sha "${good/description = d/description = d\\nfixes = 33dfe92 (\"x\")}")
row "a fixes SHA of 7 digits" 2 "$f:4: 'fixes' needs SHA .* 12 to 40 lowercase hex digits, got '33dfe92" $mm run "$f"
f=$(case_file no-subject "${good/description = d/description = d\\nfixes = 33dfe9204f29 x}")
row "a fixes entry without (\"subject\")" 2 "$f:4: 'fixes': 33dfe9204f29 needs its subject" $mm run "$f"
f=$(case_file two-no-comma "${good/description = d/description = d\\nfixes = 33dfe9204f29 (\"x\") 616b8371539a (\"y\")}")
row "two fixes without a comma" 2 "$f:4: 'fixes': a comma or the end of the line must follow 33dfe9204f29" $mm run "$f"
f=$(case_file fixed-by "${good/description = d/description = d\\nfixed_by = a mail from Hugh}")
row "fixed_by without quotes" 2 "$f:4: 'fixed_by' must be \"subject\" \(where\)" $mm run "$f"
f=$(case_file tag-mismatch "${good/description = d/description = d\\nfixes = 33dfe9204f29 (\"x\")}")
row "a fix the workload does not name" 2 \
	"$f:4: fix 33dfe9204f29 \(\"x\"\) is not named in .*/guest/workloads/smoke.c: the case's fixes and the workload's tag must agree" \
	$mm run "$f"
f=$(case_file no-fix "$good[variant v]\nkernel = src:deb-6.12\nexpect = fail\n")
row "a failing variant with no fix named" 2 "$f: \[variant v\] expects a failure, so the case must name its fix" $mm verify "$f"
fv="$good[variant v]\nkernel = src:deb-6.12\nfixed_by = \"s\" (w)\n"
f=$(case_file k-of-n "${fv}expect = fail >= 8 of 10\n")
row "expect with a malformed K/N" 2 "$f:11: 'expect' must be pass, fail, conf, fail >= K/N or fail <= K/N, got 'fail >= 8 of 10'" $mm verify "$f"
f=$(case_file k-over-n "${fv}expect = fail >= 11/10\n")
row "expect with K over N" 2 "$f:11: 'expect = fail >= K/N' needs 1 <= K <= N <= 1000" $mm verify "$f"
f=$(case_file empty-title "${fv}expect = fail\nexpect_titles = WARNING in f,,kernel BUG in g\n")
row "expect_titles with an empty title" 2 "$f:12: 'expect_titles' has an empty title" $mm verify "$f"
f=$(case_file forbid-expected "${fv}expect = fail\nexpect_titles = kernel BUG in g\nforbid_titles = BUG in g\n")
row "forbid_titles that forbid an expected title" 2 "$f: \[variant v\] expects 'kernel BUG in g', which its forbid_titles 'BUG in g' forbids" \
	$mm verify "$f"
f=$(case_file titles-on-pass "${fv}expect = pass\nexpect_titles = WARNING\n")
row "expect_titles on a variant that expects pass" 2 "$f: \[variant v\] has expect_titles but does not expect fail" $mm verify "$f"
f=$(case_file variant-memory "${fv}expect = pass\nmemory = 1X\n")
row "a variant's memory in unknown units" 2 "$f:12: 'memory' must be a size" $mm verify "$f"
f=$(case_file variant-numa "${fv}expect = pass\ncpus = 2\nnuma = 256M 128M\n")
row "a variant's NUMA nodes that do not add up" 2 "$f: \[variant v\] numa node sizes add up to 384M but memory is 512M" $mm verify "$f"
f=$(case_file disk-size '[case]\nname = c\ndescription = d\n[vm]\nmemory = 512M\ndisk = 100T\n[guest]\nworkload = smoke\n')
row "a scratch disk over 64G" 2 "$f:6: 'disk' must be a size from 1M to 64G" $mm verify "$f"
f=$(case_file stack-offset "${fv}expect = fail\nexpect_stack = do_numa_page+0x205\n")
row "expect_stack with a frame's offset" 2 "$f:12: 'expect_stack': 'do_numa_page[+]0x205' is not a function name" $mm verify "$f"
f=$(case_file variant-key "${fv}expect = pass\nzram = 1G\n")
row "a key a variant cannot set" 2 "$f:12: unknown key 'zram' in \[variant v\]" $mm verify "$f"
# ---- 8. a workload of one's own: --repro, --syzbot, --kselftest, new-case --
# Each is refused before anything is built or booted.
repro=$MMREPRO_ROOT/tests/repro syz=$MMREPRO_ROOT/tests/syzbot
row "--repro of a file that does not exist" 2 "--repro $tmp/no-such-repro.c: No such file or directory" \
	$mm run --repro "$tmp/no-such-repro.c"
t0=$SECONDS
row "--repro that does not compile names its file:line" 2 "does-not-compile.c:7:.*error" \
	$mm run --repro "$repro/does-not-compile.c" --kernel deb:6.12 --out "$tmp/o-nc"
row "--repro that does not compile says so" 2 "does-not-compile.c: does not compile \(gcc exit 1" \
	$mm run --repro "$repro/does-not-compile.c" --kernel deb:6.12 --out "$tmp/o-nc"
check "a --repro that does not compile creates no --out dir" test ! -e "$tmp/o-nc"
check "a --repro that does not compile boots nothing (refused in $((SECONDS - t0)) s)" test $((SECONDS - t0)) -lt 30
row "--repro and --syzbot together" 2 "--repro, --syzbot and --kselftest each name the workload: give one" \
	$mm run --repro "$repro/exits-at-once.c" --syzbot "$syz/good"
row "--kselftest of an unknown suite" 2 "--kselftest bogus:x: expected mm\[:TEST,...\]" $mm run --kselftest bogus:x
row "--kselftest with a path for a test" 2 "--kselftest '../x' is not a test name" $mm run --kselftest mm:../x
row "--title with a bad regex" 2 "--title /\(/: not a valid extended regex" \
	$mm run --repro "$repro/exits-at-once.c" --title '/(/'
row "--sysctl without a value" 2 "--sysctl novalue: expected NAME=VALUE" \
	$mm run --repro "$repro/exits-at-once.c" --sysctl novalue
row "--memory under 64M" 2 "--memory 10M: expected a size from 64M" \
	$mm run --repro "$repro/exits-at-once.c" --memory 10M
row "--numa with a node size that is not a size" 2 "--numa 512M,abc: 'abc' is not a node size" \
	$mm run --repro "$repro/exits-at-once.c" --numa 512M,abc
row "--cmdline with a newline" 2 "--cmdline: the value may not hold control bytes" \
	$mm run --repro "$repro/exits-at-once.c" --cmdline $'quiet\ninit=/bin/sh'
row "--cmdline with the word --" 2 "--cmdline holds '--', after which the kernel hands every word to init" \
	$mm run --repro "$repro/exits-at-once.c" --cmdline 'quiet -- x'
f=$(case_file cmdline-dashes "${good/memory = 512M/memory = 512M\\ncmdline = quiet --}")
row "a case's cmdline with the word --" 2 "$f:6: 'cmdline' holds '--'" $mm run "$f" --kernel deb:6.12
row "VM options with a case name" 2 "--cpus, .* shape a --repro, --syzbot or --kselftest run, not case smoke" \
	$mm run smoke --cpus 2
row "a case name and --repro together" 2 "run takes a case or --repro/--syzbot/--kselftest, not both \(got 'smoke'\)" \
	$mm run smoke --repro "$repro/exits-at-once.c"
row "--syzbot bundle without repro.c names it" 2 "$syz/no-repro/repro.c: does not exist" $mm run --syzbot "$syz/no-repro"
row "--syzbot bundle whose config is a login page names it" 2 \
	"$syz/bad-config/config: no CONFIG_X=.* not a kernel config" $mm run --syzbot "$syz/bad-config"
mkdir -p "$tmp/fifo-bundle" && mkfifo "$tmp/fifo-bundle/repro.c" && printf 'x\n' >"$tmp/fifo-bundle/title"
row "--syzbot bundle whose repro.c is a FIFO names it (and does not hang)" 2 \
	"$tmp/fifo-bundle/repro.c: is a FIFO, not a regular file" timeout 20 $mm run --syzbot "$tmp/fifo-bundle"
mkfifo "$tmp/fifo"
row "--syzbot of a FIFO" 2 "$tmp/fifo: not a directory" timeout 20 $mm run --syzbot "$tmp/fifo"
row "--syzbot of a dir that does not exist" 2 "$tmp/no-bundle: no such directory" $mm run --syzbot "$tmp/no-bundle"
row "new-case with an uppercase name" 2 "new-case Upper: a case name is lowercase letters, digits and '-'" \
	$mm new-case Upper
row "new-case with a path for a name" 2 "new-case \.\./x: a case name is lowercase letters, digits and '-'" \
	$mm new-case ../x
row "new-case of an existing case" 2 "new-case smoke: .*/cases/smoke.case already exists" $mm new-case smoke
check "new-case of an existing case leaves it as it was" git -C "$MMREPRO_ROOT" diff --quiet -- cases/smoke.case
nc=bad-input-nc-$$
row "new-case --repro that does not compile" 2 "does-not-compile.c:7:.*error" \
	$mm new-case "$nc" --repro "$repro/does-not-compile.c"
check "new-case that failed leaves no cases/$nc.case" test ! -e "$MMREPRO_ROOT/cases/$nc.case"
check "new-case that failed leaves no guest/repros/$nc.c" test ! -e "$MMREPRO_ROOT/guest/repros/$nc.c"
rm -f "$MMREPRO_ROOT/cases/$nc.case" "$MMREPRO_ROOT/guest/repros/$nc.c" "$MMREPRO_ROOT/guest/repros/$nc.config"
row "gate --cases naming one case twice" 2 "--cases: case 'smoke' is named twice" \
	$mm gate --kernel src:deb-6.12 --series "$MMREPRO_ROOT/patches/test-one-line" --cases "smoke,$MMREPRO_ROOT/cases/smoke.case" \
	--out "$tmp/o-gate-twice"
check "... before anything is built or claimed" test ! -e "$tmp/o-gate-twice"
row "gate --cases with --repro" 2 "gate --cases x: --repro, --syzbot and --kselftest make the one case to gate" \
	$mm gate --kernel src:deb-6.12 --series "$MMREPRO_ROOT/patches/test-one-line" --cases x --repro "$repro/exits-at-once.c"

# ---- 9. files that are not what they seem ----------------------------------
# A FIFO would block a read forever and /dev/zero or a sparse file would fill
# memory: every file named is read as a regular file with a cap, under a
# 1 GB address-space limit here, and the message names it.
capped() { (ulimit -v 1000000 && exec "$@"); }
mkfifo "$tmp/fifo9.case" && mkdir "$tmp/dir9.case" && truncate -s 2G "$tmp/sparse9.log"
row "a case file that is a FIFO" 2 "$tmp/fifo9.case: is a FIFO, not a regular file" \
	capped timeout 20 $mm run "$tmp/fifo9.case"
row "a case file that is a directory" 2 "$tmp/dir9.case: is a directory, not a regular file" \
	capped timeout 20 $mm run "$tmp/dir9.case"
row "/dev/zero as a case" 2 "/dev/zero: is a device, not a regular file" capped timeout 20 $mm run /dev/zero
row "verify of /dev/zero" 2 "/dev/zero: is a device, not a regular file" capped timeout 20 $mm verify /dev/zero
row "classify of a FIFO" 2 "classify: cannot read $tmp/fifo9.case: is a FIFO, not a regular file" \
	capped timeout 20 $mm classify "$tmp/fifo9.case"
row "classify of /dev/zero" 2 "classify: cannot read /dev/zero: is a device, not a regular file" \
	capped timeout 20 $mm classify /dev/zero
row "classify of a directory" 2 "classify: cannot read $tmp/dir9.case: is a directory, not a regular file" \
	capped timeout 20 $mm classify "$tmp/dir9.case"
row "classify of a 2 GB sparse file (read at most 64 MiB)" 2 \
	"classify: cannot read $tmp/sparse9.log: larger than 64 MiB" capped timeout 20 $mm classify "$tmp/sparse9.log"
row "classify - of /dev/zero on stdin" 2 "classify: cannot read standard input: larger than 64 MiB" \
	capped timeout 20 bash -c "$mm classify - </dev/zero"
row "classify --first of a log on stdin that fits" 1 '"crash":true' \
	capped timeout 20 bash -c "cat $MMREPRO_ROOT/tests/corpus/*.log | $mm classify --first -"
mkdir -p "$tmp/resume-zero" "$tmp/resume-fifo"
printf '{"case":"/dev/zero","kernel":"git:%s@HEAD","good":"HEAD","bad":"HEAD"}\n' "$tmp/repo" \
	>"$tmp/resume-zero/bisect.json"
row "bisect --resume whose bisect.json names /dev/zero" 2 \
	"--resume $tmp/resume-zero: bisect.json's case: /dev/zero: is a device" \
	capped timeout 20 $mm bisect --resume "$tmp/resume-zero"
printf '{"case":"%s","kernel":"git:%s@HEAD","good":"HEAD","bad":"HEAD"}\n' "$tmp/fifo9.case" "$tmp/repo" \
	>"$tmp/resume-fifo/bisect.json"
row "bisect --resume whose bisect.json names a FIFO" 2 \
	"--resume $tmp/resume-fifo: bisect.json's case: $tmp/fifo9.case: is a FIFO" \
	capped timeout 20 $mm bisect --resume "$tmp/resume-fifo"
f=$(case_file inline-comment "${good/memory = 512M/memory = 512M ; half a GiB}")
row "' ;' in a value (inih would cut it there)" 2 \
	"$f:5: ';' after whitespace \(column 15\) starts an inline comment" $mm run "$f"
f=$(case_file inline-comment-tab "${good/workload = smoke/workload = smoke\\t;x}")
row "a tab before ';' in a value" 2 "$f:7: ';' after whitespace \(column 18\)" $mm run "$f"
# --out that is a link would put .lock and .running where it points (/etc).
mkdir -p "$tmp/link-target" && ln -s "$tmp/link-target" "$tmp/out-link"
row "--out that is a symbolic link" 2 "--out $tmp/out-link: is a symbolic link" $mm run smoke --out "$tmp/out-link"
row "--out that is a symbolic link, with a trailing /" 2 "--out $tmp/out-link/: is a symbolic link" \
	$mm run smoke --out "$tmp/out-link/"
row "verify --out that is a symbolic link" 2 "--out $tmp/out-link: is a symbolic link" \
	$mm verify smoke --out "$tmp/out-link"
check "nothing was written through the --out link" test -z "$(ls -A "$tmp/link-target")"
# .running says a runner is at work: it goes when the command ends, however
# it ends, unless a run of it is still RUNNING.
f=$(case_file no-kernel "$good[variant v]\nkernel = image:$tmp/no-bzImage\nexpect = pass\n")
$mm verify "$f" --out "$tmp/o-v9" >/dev/null 2>&1
check "verify that ends (on a kernel it cannot get) leaves no .running" \
	test -e "$tmp/o-v9/verify.json" -a ! -e "$tmp/o-v9/.running"
mkdir -p "$tmp/resume-done"
printf '{"case":"smoke","kernel":"git:%s@HEAD","good":"HEAD","bad":"HEAD","culprit":{"commit":"%s","subject":"s"}}\n' \
	"$tmp/repo" 0123456789abcdef0123456789abcdef01234567 >"$tmp/resume-done/bisect.json"
row "bisect --resume of a finished bisection" 0 "first bad commit: 0123456789ab" \
	$mm bisect --resume "$tmp/resume-done"
for bad_number in '"runs":0' '"runs":"x"' '"p_bad":7' '"alpha":0' '"max_runs":100000' '"runs_per_step":-3'; do
	mkdir -p "$tmp/resume-num"
	printf '{"case":"smoke","kernel":"git:%s@HEAD","good":"HEAD","bad":"HEAD",%s,"culprit":{"commit":"%s","subject":"s"}}\n' \
		"$tmp/repo" "$bad_number" 0123456789abcdef0123456789abcdef01234567 >"$tmp/resume-num/bisect.json"
	key=${bad_number%%:*}
	row "bisect --resume whose bisect.json has $bad_number" 2 "bisect.json's ${key//\"/}" \
		$mm bisect --resume "$tmp/resume-num"
done
check "bisect --resume that ended leaves no .running" test ! -e "$tmp/resume-done/.running"
# Keys of another type, a NUL in a string or an unknown mode are refused,
# naming the key, and the dir is left as it was.
resume_json() {
	mkdir -p "$tmp/resume-types"
	printf '{"case":"smoke","kernel":"git:%s@HEAD","good":"HEAD","bad":"HEAD",%s}\n' "$tmp/repo" "$1" \
		>"$tmp/resume-types/bisect.json"
}
for bad_key in 'case|"case":["smoke"]' 'good|"good":"HEAD\u0000x"' 'mode|"mode":"banana"' 'mode|"mode":["fix"]' \
	'steps|"steps":5' 'good_step_valid_runs|"good_step_valid_runs":[1,-5]'; do
	resume_json "${bad_key#*|}"
	row "bisect --resume whose bisect.json has ${bad_key#*|}" 2 "bisect.json's ${bad_key%%|*}" \
		$mm bisect --resume "$tmp/resume-types"
done
check "a refused --resume leaves bisect.json as it was" grep -q good_step_valid_runs "$tmp/resume-types/bisect.json"
resume_json '"mode":"fix","culprit":{"commit":"0123456789ab","subject":"s\u001b]0;pwned\u0007"}'
row "bisect --resume of a finished fix bisection says fixed by" 0 "fixed by \(first fixed commit\): 0123456789ab s\?\]0;pwned\?" \
	$mm bisect --resume "$tmp/resume-types"
check "... and prints no escape sequence from bisect.json" \
	test -z "$($mm bisect --resume "$tmp/resume-types" 2>&1 | tr -d '\n' | tr -d '[:print:]')"
# A resume refused because another run holds the dir writes nothing there.
resume_json '"steps":[]'
cp "$tmp/resume-types/bisect.json" "$tmp/resume-types.json"
flock "$tmp/resume-types/.lock" sleep 30 &
lock_pid=$!
sleep 0.5
row "bisect --resume of a dir another run holds" 2 "another mmrepro run" $mm bisect --resume "$tmp/resume-types"
kill "$lock_pid" 2>/dev/null; wait "$lock_pid" 2>/dev/null
check "... leaves its bisect.json untouched" cmp -s "$tmp/resume-types.json" "$tmp/resume-types/bisect.json"
check "... and writes no report.html" test ! -e "$tmp/resume-types/report.html"
row "bisect --good longer than a revision can be" 2 "--good HEAD~0.*longer than 290 characters" \
	$mm bisect smoke --kernel "git:$tmp/repo@HEAD" --good "HEAD$(printf '~0%.0s' $(seq 200))" --bad HEAD
# git runs with -C the repo: a relative DIR must not be read there, nor the
# worktree made inside the user's checkout. Commits without a kernel are
# skipped at once, so this builds and boots nothing.
git init -q "$tmp/repo5"
for i in 1 2 3 4 5; do git -C "$tmp/repo5" -c user.name=t -c user.email=t@t commit -q --allow-empty -m "c$i"; done
mkdir -p "$tmp/cwd/rel-resume"
printf "git bisect start '--no-checkout' '%s' '%s'\n" "$(git -C "$tmp/repo5" rev-parse HEAD)" \
	"$(git -C "$tmp/repo5" rev-parse HEAD~4)" >"$tmp/cwd/rel-resume/bisect.log"
printf '{"case":"smoke","kernel":"git:%s@HEAD","good":"HEAD~4","bad":"HEAD","runs":1,"steps":[]}\n' "$tmp/repo5" \
	>"$tmp/cwd/rel-resume/bisect.json"
row "bisect --resume of a relative DIR" 125 "inconclusive" $mm bisect --resume rel-resume
check "... makes nothing inside the repository" test -z "$(git -C "$tmp/repo5" status --porcelain --ignored)"
# --resume tests what the bisection began with: an option that would
# change it is refused, not dropped; the case's file, --title and --config
# come back from bisect.json.
for opt in "--alpha 0.01" "--max-runs 5" "--title x" "--kernel deb:6.12" "--series /x" "--config /dev/null" \
	"--out $tmp/o-res" "--repro $tmp/beside10.c"; do
	row "bisect --resume with $opt" 2 "goes on as it began" $mm bisect --resume "$tmp/resume-done" $opt
done
row "bisect --runs 3 with --alpha" 2 "bisect --runs 3 runs every point 3 times: --alpha goes with --runs auto" \
	$mm bisect smoke --runs 3 --alpha 0.01 --kernel "git:$tmp/repo5@HEAD" --good HEAD~4 --bad HEAD
row "bisect --runs 3 with --max-runs" 2 "--max-runs goes with --runs auto" \
	$mm bisect smoke --runs 3 --max-runs 5 --kernel "git:$tmp/repo5@HEAD" --good HEAD~4 --bad HEAD
printf '[case]\nname = bad-input-beside\ndescription = d\n[guest]\nworkload = smoke\n' >"$tmp/beside.case"
for bad_key in 'title|"title":"/[/"' 'configs|"configs":["relative.config"]' 'configs|"configs":"x"'; do
	resume_json "${bad_key#*|}"
	row "bisect --resume whose bisect.json has ${bad_key#*|}" 2 "bisect.json's ${bad_key%%|*}" \
		$mm bisect --resume "$tmp/resume-types"
done
git -C "$tmp/repo5" worktree prune
sed -i "s|\"case\":\"smoke\"|\"case\":\"bad-input-beside\",\"case_file\":\"$tmp/beside.case\",\"title\":\"/BUG/\"|" \
	"$tmp/cwd/rel-resume/bisect.json"
rm -f "$tmp/cwd/rel-resume/.lock" "$tmp/cwd/rel-resume/report.html"
printf "git bisect start '--no-checkout' '%s' '%s'\n" "$(git -C "$tmp/repo5" rev-parse HEAD)" \
	"$(git -C "$tmp/repo5" rev-parse HEAD~4)" >"$tmp/cwd/rel-resume/bisect.log"
row "bisect --resume of a case given by its file (not in cases/)" 125 "inconclusive" \
	$mm bisect --resume rel-resume
check "... keeps its case file and title in bisect.json" \
	grep -q "\"title\":\"/BUG/\"" "$tmp/cwd/rel-resume/bisect.json"
if ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
	row "gate that fails after claiming its dir" 125 "--accel kvm: KVM cannot run" $mm gate --kernel src:deb-6.12 \
		--series "$MMREPRO_ROOT/patches/test-one-line" --cases smoke --accel kvm --out "$tmp/o-g9"
	check "gate that failed after the claim leaves no .running" test -e "$tmp/o-g9/.lock" -a ! -e "$tmp/o-g9/.running"
	row "bisect that fails after claiming its dir" 125 "--accel kvm: KVM cannot run" $mm bisect smoke \
		--kernel src:deb-6.12 --series "$MMREPRO_ROOT/patches/test-one-line" --accel kvm --out "$tmp/o-b9"
	check "bisect that failed after the claim leaves no .running" test -e "$tmp/o-b9/.lock" -a ! -e "$tmp/o-b9/.running"
fi

# ---- 10. host files the guest must not see --------------------------------
# The runner reads as root what QEMU and git apply are handed: a case file,
# a series or an image:'s config may not smuggle a root-only file into the
# guest or the results.
printf 'root:$y$j9T$secret:19000:0:99999:7:::\n' >"$tmp/shadow10" && chmod 600 "$tmp/shadow10"
ln -s /etc/shadow "$tmp/shadow10-link"
img=$(ls /boot/vmlinuz-6.12*-amd64 2>/dev/null | sort -V | tail -1)
if [ -n "$img" ]; then
	row "image:...,config= of a 0600 file that is not a kernel config" 2 \
		"--kernel image:/boot/vmlinuz-6\\.12[^,]*,config=$tmp/shadow10: config=$tmp/shadow10: not a kernel config" \
		$mm run smoke --kernel "image:$img,config=$tmp/shadow10" --out "$tmp/o-10cfg"
	check "a refused config= writes no initramfs.cpio" test ! -e "$tmp/o-10cfg/initramfs.cpio"
	row "image:...,config= that is a link to /etc/shadow" 2 \
		"config=$tmp/shadow10-link: is a symbolic link" \
		$mm run smoke --kernel "image:$img,config=$tmp/shadow10-link" --out "$tmp/o-10cfg"
	# verify reports a variant whose kernel it cannot get as brok (its exit is verify's).
	f=$(case_file image-config-v "$good[variant v]\nkernel = image:$img,config=$tmp/shadow10\nexpect = pass\n")
	check "a variant's image:...,config= of a 0600 file is refused, naming it" \
		grep -q "config=$tmp/shadow10: not a kernel config" <<<"$($mm verify "$f" --out "$tmp/o-10v" 2>&1)"
	check "the refused variant wrote no initramfs.cpio" \
		test -z "$(find "$tmp/o-10v" -name initramfs.cpio 2>/dev/null)"
else
	nok "no /boot/vmlinuz-6.12*-amd64 for the image:...,config= rows; run ./run.sh setup"
fi
vm10='[case]\nname = c\ndescription = d\n[vm]\nmemory = 512M\nmachine = q35\n'
f=$(case_file device-loader "${vm10}device = loader,file=/etc/passwd\n[guest]\nworkload = smoke\n")
row "device = loader,file=/etc/passwd" 2 "$f:7: 'device' loader,file=/etc/passwd: 'loader' is not a device model" \
	$mm run "$f" --kernel deb:6.12 --out "$tmp/o-10dev"
check "a refused device boots nothing" test ! -e "$tmp/o-10dev"
f=$(case_file device-romfile "${vm10}device = edu,romfile=/etc/shadow\n[guest]\nworkload = smoke\n")
row "device = edu,romfile=/etc/shadow" 2 "$f:7: 'device' edu,romfile=/etc/shadow: 'romfile=/etc/shadow' may name" \
	$mm run "$f" --kernel deb:6.12
row "every shipped case with a device still loads" 0 "cma-vfio-nested-vm" $mm list
f=$(case_file series-etc "$good[variant v]\nkernel = src:deb-6.12\nseries = /etc\nexpect = fail\n")
row "a case naming series = /etc (outside the checkout)" 2 \
	"$f:10: 'series' /etc is outside the checkout .*MMREPRO_ALLOW_HOST_PATHS=1" $mm verify "$f"
row "... which MMREPRO_ALLOW_HOST_PATHS=1 lets through to the series checks" 2 \
	"$f:10: series '/etc' is a directory without a series file" env MMREPRO_ALLOW_HOST_PATHS=1 $mm verify "$f"
f=$(case_file base-config-shadow "$good[build]\nbase_config = $tmp/shadow10\n")
row "a case naming base_config = a 0600 file outside the checkout" 2 \
	"$f:9: 'base_config' $tmp/shadow10 is outside the checkout" $mm run "$f" --kernel deb:6.12
f=$(case_file config-dotdot "$good[build]\nconfig = ../../../../../../../../etc/shadow\n")
row "a case naming config = ../../../etc/shadow" 2 \
	"$f:9: 'config' ../../../../../../../../etc/shadow is outside the checkout" $mm run "$f" --kernel deb:6.12
printf 'int main(void) { return 0; }\n' >"$tmp/beside10.c"
f=$(case_file repro-outside '[case]\nname = c\ndescription = d\n[guest]\nrepro = /etc/passwd\n')
row "a case naming repro = /etc/passwd" 2 "$f:5: 'repro' /etc/passwd is outside the checkout" \
	$mm run "$f" --kernel deb:6.12
row "--repro names a file outside the checkout: explicit, so it runs" 0 "PASS" \
	$mm run --repro "$tmp/beside10.c" --kernel deb:6.12 --repro-time 5 --out "$tmp/o-10repro"
mkdir -p "$tmp/dotdot-series" "$tmp/link-series" "$tmp/notpatch-series"
printf '../../etc/passwd\n' >"$tmp/dotdot-series/series"
ln -s /etc/shadow "$tmp/link-series/0001-x.patch" && printf '# a link\n0001-x.patch\n' >"$tmp/link-series/series"
cp /etc/passwd "$tmp/notpatch-series/0001-x.patch" && printf '0001-x.patch\n' >"$tmp/notpatch-series/series"
row "a series listing ../../etc/passwd" 2 \
	"$tmp/dotdot-series/series:1: patch '../../etc/passwd' leaves the series dir" \
	$mm build --kernel src:deb-6.12 --series "$tmp/dotdot-series"
row "a series whose patch is a link to /etc/shadow" 2 \
	"$tmp/link-series/series:2: patch '0001-x.patch' is a symbolic link" \
	$mm build --kernel src:deb-6.12 --series "$tmp/link-series"
row "a series whose patch is not a patch" 2 "$tmp/notpatch-series/series:1: patch '0001-x.patch' is not a patch" \
	$mm build --kernel src:deb-6.12 --series "$tmp/notpatch-series"
t0=$SECONDS
row "gate refuses a series listing ../../etc/passwd before building the base" 2 \
	"$tmp/dotdot-series/series:1: patch '../../etc/passwd' leaves the series dir" \
	$mm gate --kernel src:deb-6.12 --series "$tmp/dotdot-series" --cases smoke --out "$tmp/o-10gate"
check "... at once (in $((SECONDS - t0)) s)" test $((SECONDS - t0)) -lt 30
check "the initramfs.cpio of a smoke run is not world-readable (mode 600)" \
	test "$(stat -c %a "$kept/initramfs.cpio")" = 600
check "the initramfs.cpio of a --repro run is mode 600" test "$(stat -c %a "$tmp/o-10repro/initramfs.cpio")" = 600

# ---- 11. matrix knobs: every one refused before anything is built ---------
row "matrix without --knob" 2 "matrix smoke: give at least one --knob NAME=V1,V2" $mm matrix smoke
row "matrix with an unknown knob" 2 "unknown knob 'thp.frob' \\(known: cpus, memory" \
	$mm matrix smoke --knob thp.frob=1
row "matrix with an empty value list" 2 "--knob thp.enabled=: no values" $mm matrix smoke --knob thp.enabled=
row "matrix with an empty value in the list" 2 "--knob thp.enabled: an empty value \\(write default" \
	$mm matrix smoke --knob thp.enabled=always,,never
row "matrix with a value the knob does not take" 2 "'sometimes' is not one of always, madvise, never" \
	$mm matrix smoke --knob thp.enabled=sometimes
row "matrix with a knob given twice" 2 "--knob thp.defrag is given twice" \
	$mm matrix smoke --knob thp.defrag=always --knob thp.defrag=never
row "matrix with one file under two names" 2 "the same file as mthp.64K.enabled" \
	$mm matrix smoke --knob mthp.64K.enabled=always --knob mthp.64kB.enabled=never
row "matrix of more than 64 rows" 2 "more than 64 combinations" \
	$mm matrix smoke --knob cpus=1,2,3,4,5,6,7,8 --knob vm.swappiness=1,2,3,4,5,6,7,8,9
row "matrix with a command in a cmdline word" 2 "a command line word is PARAM or PARAM=VALUE" \
	$mm matrix smoke --knob "cmdline+=x\$(touch $tmp/PWNED7)"
row "matrix with cmdline+=-- (the rest of the command line to init)" 2 "--knob cmdline\\+: '--': holds '--'" \
	$mm matrix smoke --knob "cmdline+=--"
row "matrix varying a knob the workload sets itself" 2 \
	"--knob kernel.numa_balancing: workload numa_thp_migrate sets /proc/sys/kernel/numa_balancing=1 itself" \
	$mm matrix numa-thp-migrate --knob kernel.numa_balancing=0,1 --kernel deb:6.12 --runs 1
row "matrix with a boot parameter the workload overrides" 2 \
	"--knob cmdline\\+=transparent_hugepage: workload numa_thp_migrate sets /sys/kernel/mm/transparent_hugepage/enabled=madvise" \
	$mm matrix numa-thp-migrate --knob cmdline+=transparent_hugepage=never
row "matrix row QEMU could not run" 2 "with the knobs numa=1G\\+1G\\+1G: 3 NUMA nodes need at least 3 cpus" \
	$mm matrix numa-thp-migrate --knob numa=1G+1G,1G+1G+1G
row "matrix with NUMA nodes adding up to over 1T" 2 "with the knobs numa=1T\\+1T cpus=2: the memory is 2097152M, not a size from 64M to 1T" \
	$mm matrix smoke --knob numa=1T+1T --knob cpus=2
row "matrix --variant with --kernel" 2 "matrix --variant v5-buggy runs on the variant's kernel and series" \
	$mm matrix numa-deferred-split-migrate --variant v5-buggy --kernel deb:6.12 --knob cpus=2
row "matrix with an unknown --variant" 2 "--variant nope: .*has no such variant" \
	$mm matrix numa-deferred-split-migrate --variant nope --knob cpus=2
row "matrix of a reproducer from options" 2 "matrix does not take --repro" \
	$mm matrix --repro "$tmp/beside10.c" --knob cpus=2
mkdir -p "$tmp/o-11done" && echo '{}' >"$tmp/o-11done/matrix.json"
row "matrix into a dir that holds a matrix" 2 "--out $tmp/o-11done: already holds a matrix's results" \
	$mm matrix smoke --knob cpus=1 --out "$tmp/o-11done"
f=$(case_file knob11 '[case]\nname = c\ndescription = d\n[guest]\nworkload = smoke\nknob = vm.swappiness=1\n')
row "a case's knob line for a sysctl names file:line" 2 "$f:6: 'knob' vm.swappiness: a case sets this with its own key" \
	$mm run "$f"

row "list still works after all of this" 0 "smoke" $mm list

[ "$(digest)" = "$kept_digest" ] && ok "the smoke results from before the matrix are intact" || nok "earlier results changed"
echo "bad-input: $passed passed, $failed failed"
[ "$failed" = 0 ]
