#!/usr/bin/env bash
# report.html in a real browser: headless Chromium renders the page of a
# real smoke run and of a real verify run (Debian's prebuilt 6.12, two VM
# boots) to a PNG and to its DOM. Each page must load with no console
# message (a script, a blocked or missing resource would log one), give a
# PNG that is not blank, and show its verdict and title as text. A copy of
# the smoke run with a hostile console shows that markup from the guest
# stays text in the browser. BROWSER_TEST_VERIFY_DIR=DIR also renders an
# existing verify dir (a copy, through `mmrepro report`).
set -uo pipefail
cd "$(dirname "$0")/.."
export MMREPRO_ROOT=$PWD
mm=./build/mmrepro
chromium=${CHROMIUM:-chromium}
tmp=$(mktemp -d /tmp/mmrepro-browser-test.XXXXXX)
# A failed check keeps its dirs, so the run that differed can be read.
trap 'keep_or_remove "$tmp"' EXIT
. tests/tap.sh

if ! command -v "$chromium" >/dev/null; then
	echo "browser-test: no $chromium (./run.sh setup installs Debian's chromium)" >&2
	exit 125
fi
sandbox=()
[ "$(id -u)" = 0 ] && sandbox=(--no-sandbox) # Chromium's sandbox refuses root

# chrome NAME ARGS...: one headless Chromium with a fresh profile, nothing
# fetched from the network, its log (console messages included) in $tmp/NAME.log.
chrome() {
	local name=$1; shift
	rm -rf "$tmp/profile"
	mkdir -p "$tmp/profile"
	timeout 120 "$chromium" --headless "${sandbox[@]}" --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 --hide-scrollbars "$@" 2>>"$tmp/$name.log"
}

# PNG size and its number of distinct colours (stdlib only: zlib, no PIL).
png_stats() {
	python3 - "$1" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat = 8, b''
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    if kind == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', data[pos + 8:pos + 18])
    elif kind == b'IDAT':
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
assert depth == 8 and ctype in (2, 6), 'unexpected PNG format'
bpp = 3 if ctype == 2 else 4
raw, stride, prev, colours = zlib.decompress(idat), w * bpp, bytearray(w * bpp), set()
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp * 2))
    prev = line
print(w, h, len(colours))
EOF
}

# page NAME HTML VERDICT TITLE: renders HTML to a PNG and to its DOM and checks both.
page() {
	local name=$1 html=$2 verdict=$3 title=$4 stats
	chrome "$name" --window-size=1100,1600 --screenshot="$tmp/$name.png" "file://$html" >/dev/null
	chrome "$name" --dump-dom "file://$html" >"$tmp/$name.dom"
	check "$name: no console message while loading (no script, nothing blocked or missing)" \
		bash -c "! grep -F ':CONSOLE' '$tmp/$name.log'"
	stats=$(png_stats "$tmp/$name.png" 2>&1)
	echo "# $name.png: width height colours = $stats"
	check "$name: the screenshot is 1100x1600 and not blank (>= 8 colours)" \
		python3 -c "import sys; w, h, c = map(int, sys.argv[1].split()); sys.exit(not (w == 1100 and h == 1600 and c >= 8))" "$stats"
	check "$name: the DOM shows the verdict '$verdict'" grep -qF "$verdict" "$tmp/$name.dom"
	check "$name: the DOM's title is '$title'" grep -qF "<title>$title</title>" "$tmp/$name.dom"
	check "$name: the DOM holds no script element" bash -c "! grep -qi '<script' '$tmp/$name.dom'"
}

# A real smoke run: report.html is written at the end of the run.
t0=$SECONDS
$mm run smoke --kernel deb:6.12 --out "$tmp/smoke" >/dev/null
check "smoke run exits 0" test $? = 0
echo "# smoke run: $((SECONDS - t0)) s"
check "the run wrote report.html" test -s "$tmp/smoke/report.html"
cp "$tmp/smoke/report.html" "$tmp/smoke-first.html"
check "report DIR writes the same page again from the JSON" \
	bash -c "$mm report '$tmp/smoke' >/dev/null && cmp -s '$tmp/smoke/report.html' '$tmp/smoke-first.html'"
page smoke "$tmp/smoke/report.html" "no bug: 1 of 1 runs passed" "mmrepro run: smoke on deb:6.12"
check "smoke: the page links the run's console.log, which exists" \
	bash -c "grep -q 'href=\"run-1/console.log\"' '$tmp/smoke/report.html' && test -s '$tmp/smoke/run-1/console.log'"

# A real verify run on Debian's prebuilt kernel (its dir is results/<stamp>-..., kept).
t0=$SECONDS
out=$($mm verify madv-free-mthp --variant debian-prebuilt)
rc=$?
verify_dir=$(sed -n 's/^results: //p' <<<"$out")
echo "# verify madv-free-mthp --variant debian-prebuilt: exit $rc in $((SECONDS - t0)) s, $verify_dir"
check "verify exits 0" test "$rc" = 0
check "verify wrote report.html" test -s "$verify_dir/report.html"
page verify "$verify_dir/report.html" "every variant as expected (1 of 1)" "mmrepro verify: madv-free-mthp"
check "verify: the variant's row is in the DOM" grep -qF '<td>debian-prebuilt</td><td class="nowrap">deb:6.12<br>' \
	"$tmp/verify.dom"

# The smoke run again, its first run turned into a hit on a hostile console.
cp -r "$tmp/smoke" "$tmp/hostile"
printf '%s\n' '<script>document.title="pwned"</script>' '[ 9.1] kernel BUG at mm/x.c:1! <img src=x onerror="document.title=1">' \
	$'\e]0;pwned\a\e[31m<b>bold</b>' >>"$tmp/hostile/run-1/console.log"
lines=$(wc -l <"$tmp/hostile/run-1/console.log")
python3 - "$tmp/hostile/result.json" "$((lines - 2))" "$lines" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
run = doc['runs'][0]
run.update(verdict='FAIL', crash=True, title='kernel BUG in x <script>', reason='kernel BUG in x <script>',
           report_start_line=int(sys.argv[2]), report_end_line=int(sys.argv[3]))
json.dump(doc, open(sys.argv[1], 'w'))
EOF
$mm report "$tmp/hostile" >/dev/null
page hostile "$tmp/hostile/report.html" "BUG HIT in 1 of 1 runs: kernel BUG in x &lt;script&gt;" \
	"mmrepro run: smoke on deb:6.12"
check "hostile: the console's markup is text in the DOM" \
	grep -qF '&lt;script&gt;document.title="pwned"&lt;/script&gt;' "$tmp/hostile.dom"
check "hostile: no img element was made" bash -c "! grep -qi '<img' '$tmp/hostile.dom'"
check "hostile: the escape sequence shows as ?]0;pwned??[31m" grep -qF '?]0;pwned??[31m&lt;b&gt;bold' "$tmp/hostile.dom"

# The console check itself: a script under the page's policy is refused, and says so.
printf '%s\n' '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy"' \
	"content=\"default-src 'none'\"/></head><body><script>document.title='x'</script></body></html>" >"$tmp/blocked.html"
chrome blocked --dump-dom "file://$tmp/blocked.html" >/dev/null
check "the console check sees a refused script" grep -qF ':CONSOLE' "$tmp/blocked.log"

if [ -n "${BROWSER_TEST_VERIFY_DIR:-}" ]; then
	cp -r "$BROWSER_TEST_VERIFY_DIR" "$tmp/old-verify"
	$mm report "$tmp/old-verify" >/dev/null
	check "report DIR on an existing verify dir exits 0" test $? = 0
	read -r name want < <(python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
v = d['variants']
ok = all(x['matches'] for x in v)
print(d['case'], 'every variant as expected (%d of %d)' % (len(v), len(v)) if ok else 'NOT AS EXPECTED')" \
		"$tmp/old-verify/verify.json")
	page old-verify "$tmp/old-verify/report.html" "$want" "mmrepro verify: $name"
	while read -r t; do
		[ -n "$t" ] && check "old-verify: the DOM shows the hit '$t'" grep -qF "$t" "$tmp/old-verify.dom"
	done < <(python3 -c "
import html, json, sys
for v in json.load(open(sys.argv[1]))['variants']:
    print(html.escape(v['tally'].get('hit_title', ''), quote=False))" "$tmp/old-verify/verify.json")
fi

echo "# browser-test: $passed passed, $failed failed in $SECONDS s"
[ "$failed" = 0 ]
