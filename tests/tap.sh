# Sourced by the test scripts: TAP-style lines and their counts.
#   ok NAME / nok NAME        one passing or failing line
#   check NAME CMD...         ok when CMD succeeds, nok otherwise
#   field FILE EXPR           a python expression over the JSON in FILE, as `r`
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
