# Sourced by the test scripts: TAP-style lines and their counts.
#   ok NAME / nok NAME        one passing or failing line
#   check NAME CMD...         ok when CMD succeeds, nok otherwise
#   field FILE EXPR           a python expression over the JSON in FILE, as `r`
#   keep_or_remove DIR        for an EXIT trap: DIR goes when no check failed
passed=0 failed=0
ok()  { echo "ok - $1"; passed=$((passed + 1)); }
nok() { echo "not ok - $1"; failed=$((failed + 1)); }
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}
field() {
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"
}
keep_or_remove() {
	if [ "${failed:-0}" != 0 ]; then
		echo "# $failed check(s) failed: their dirs are kept in $1" >&2
	else
		rm -rf "$1"
	fi
}
