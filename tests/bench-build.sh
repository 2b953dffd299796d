#!/usr/bin/env bash
# make bench-build: a cold build of src:deb-6.12 with the guest config (fresh
# cache and fresh ccache), a cache hit, and the rebuild after a one-line
# change to mm/migrate.c. Takes about 15 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
mm=./build/mmrepro
cache=${BENCH_CACHE:-$(mktemp -d /tmp/mmrepro-bench-cache.XXXXXX)}
export MMREPRO_CACHE=$cache
stamp() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }

# Unpacking the tarball and making it a git repository is counted apart.
t0=$(stamp); MMREPRO_PROGRESS=1 $mm build --kernel src:deb-6.12 --config /dev/null >/dev/null 2>"$cache/first.err"; t1=$(stamp)
echo "first use (unpack + git init + configure + cold compile, ccache empty): $(secs "$t0" "$t1") s"
echo "  of which the cold compile: $(tr '\r' '\n' <"$cache/first.err" | grep -o 'compiled in [0-9]*s' | tail -1)"
t0=$(stamp); $mm build --kernel src:deb-6.12 >/dev/null; t1=$(stamp)
echo "build with another key (no extra fragment: its own object dir, ccache warm): $(secs "$t0" "$t1") s"
t0=$(stamp); $mm build --kernel src:deb-6.12 >/dev/null; t1=$(stamp)
echo "cache hit (no-op): $(secs "$t0" "$t1") s"
t0=$(stamp); $mm build --kernel src:deb-6.12 --series patches/test-one-line >/dev/null; t1=$(stamp)
echo "one-line change in mm/migrate.c: $(secs "$t0" "$t1") s"
[ -n "${BENCH_CACHE:-}" ] || rm -rf "$cache"
