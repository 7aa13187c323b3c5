# Shared by the shell tests (Tests/System/run.sh, Tests/Distributions/run.sh; sourced, not
# run): one line per check, "ok: …" or "FAIL: …", counted in passed and failed, so that each
# test ends with the plain "NAME: N passed, N failed" line CI reads.
#
# Provides: passed, failed, ok, bad, check DESCRIPTION COMMAND…, note, skip REASON (prints
# "SKIP: TEST_NAME: REASON", TEST_NAME set by the test, and exits 0).

passed=0
failed=0
ok() { printf 'ok: %s\n' "$*"; passed=$((passed + 1)); }
bad() { printf 'FAIL: %s\n' "$*"; failed=$((failed + 1)); }
check() { # check DESCRIPTION COMMAND…
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
skip() { printf 'SKIP: %s: %s\n' "$TEST_NAME" "$*"; exit 0; }
note() { printf -- '-- %s\n' "$*"; }
