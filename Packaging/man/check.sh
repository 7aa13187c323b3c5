#!/bin/bash
# Checks the man pages of audisp-bpfguard.
#
#   Packaging/man/check.sh [BINARY]
#
# Always: `man --warnings -l` (groff's warnings) and `mandoc -T lint -W style` on both
# pages; any message fails the check.
# With BINARY (a built audisp-bpfguard), also that the pages and the README follow the
# program:
#   - the OPTIONS of audisp-bpfguard(8) are exactly the options of `BINARY --help`;
#   - the FIELDS and SETTINGS of bpfguard.policy(5) are exactly those the policy parser
#     knows (taken from the errors of `BINARY --check` on a policy that uses an unknown
#     field and an unknown setting);
#   - the field and setting tables of README.md's policy reference list the same names.
# Exits 0 when everything is clean, 1 otherwise (2 on a usage or setup error).
# Needs man-db, groff-base and mandoc (apt-get install man-db groff-base mandoc).
set -euo pipefail

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$DIR/../.." && pwd)
PAGE8="$DIR/audisp-bpfguard.8"
PAGE5="$DIR/bpfguard.policy.5"

die() { printf 'man/check.sh: error: %s\n' "$*" >&2; exit 2; }
[ "$#" -le 1 ] || die "usage: $0 [BINARY]"
command -v man >/dev/null 2>&1 || die "'man' not found: install man-db"
command -v groff >/dev/null 2>&1 || die "'groff' not found: install groff-base"
command -v mandoc >/dev/null 2>&1 || die "'mandoc' not found: install mandoc"

failed=0
fail() { printf 'FAIL: %s\n' "$*"; failed=1; }

# --- Lints ------------------------------------------------------------------------------

for page in "$PAGE8" "$PAGE5"; do
    name=$(basename "$page")
    # Rendering output is discarded; groff's warnings (and man's) arrive on stderr.
    if ! messages=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null); then
        fail "$name: man --warnings failed"
    fi
    if [ -n "$messages" ]; then
        fail "$name: man --warnings:"
        printf '%s\n' "$messages"
    else
        printf 'ok: %s: man --warnings\n' "$name"
    fi
    status=0
    messages=$(mandoc -T lint -W style "$page" 2>&1) || status=$?
    if [ -n "$messages" ] || [ "$status" -ne 0 ]; then
        fail "$name: mandoc -T lint (status $status):"
        printf '%s\n' "$messages"
    else
        printf 'ok: %s: mandoc -T lint\n' "$name"
    fi
done

# --- Agreement with the program ---------------------------------------------------------

if [ "$#" -eq 0 ]; then
    [ "$failed" -eq 0 ] || exit 1
    exit 0
fi
BINARY=$1
[ -x "$BINARY" ] || die "$BINARY is not an executable"

# The .TP tags of section SECTION of a man page: the words of the line after each .TP,
# font macros and roff escapes removed.
tp_tags() { # tp_tags PAGE SECTION
    awk -v section="$2" '
        /^\.SH / { in_section = ($0 == ".SH " section); next }
        in_section && /^\.TP/ { take = 1; next }
        in_section && take { print; take = 0 }
    ' "$1" | sed -e 's/^\.[A-Z]* //' -e 's/\\-/-/g' -e 's/\\f[A-Z]//g' -e 's/"//g'
}

compare() { # compare WHAT EXPECTED-LIST ACTUAL-LIST (newline-separated)
    local missing extra
    missing=$(comm -23 <(printf '%s\n' "$2" | sort -u) <(printf '%s\n' "$3" | sort -u))
    extra=$(comm -13 <(printf '%s\n' "$2" | sort -u) <(printf '%s\n' "$3" | sort -u))
    if [ -n "$missing" ] || [ -n "$extra" ]; then
        fail "$1: missing: $(echo $missing) extra: $(echo $extra)"
    else
        printf 'ok: %s\n' "$1"
    fi
}

# Options: "--name" at the start of the option lines of --help.
help_options=$("$BINARY" --help | sed -n 's/^  *\(--[a-z][a-z-]*\).*/\1/p')
[ -n "$help_options" ] || die "no options found in '$BINARY --help'"
page_options=$(tp_tags "$PAGE8" OPTIONS | grep -o -- '--[a-z][a-z-]*' | head -n 100)
compare "audisp-bpfguard.8 OPTIONS = options of --help" "$help_options" "$page_options"

# Fields and settings, as the parser lists them in its errors.
probe=$(mktemp "${TMPDIR:-/tmp}/man-check.XXXXXX")
trap 'rm -f "$probe"' EXIT
printf 'no_such_setting = 1\nallow no_such_field=1\n' >"$probe"
errors=$("$BINARY" --check --policy "$probe" 2>&1 || true)
known_fields=$(sed -n 's/.*(known fields: \([^)]*\)).*/\1/p' <<<"$errors" | tr ',' '\n' | tr -d ' ')
known_settings=$(sed -n 's/.*(known settings: \([^)]*\)).*/\1/p' <<<"$errors" | tr ',' '\n' | tr -d ' ')
[ -n "$known_fields" ] && [ -n "$known_settings" ] \
    || die "cannot read the known fields and settings from '$BINARY --check': $errors"

page_fields=$(tp_tags "$PAGE5" FIELDS | tr ',' '\n' | tr -d ' ' | grep -v '^$')
compare "bpfguard.policy.5 FIELDS = fields of the parser" "$known_fields" "$page_fields"
page_settings=$(tp_tags "$PAGE5" SETTINGS | awk '{ print $1 }')
compare "bpfguard.policy.5 SETTINGS = settings of the parser" "$known_settings" "$page_settings"

# README.md: the first column of the rows of its field and setting tables ("| `uid`, `euid` | …").
README="$ROOT/README.md"
if [ -f "$README" ]; then
    readme_table() { # readme_table HEADER-WORD: names in the first column of that table
        awk -v header="$1" '
            /^\|/ { if (!in_table && $0 ~ "^\\| *" header " *\\|") { in_table = 1; next }
                    if (in_table) { split($0, cells, "|"); print cells[2] }
                    next }
            { in_table = 0 }
        ' "$README" | grep -o '`[^`]*`' | tr -d '`' | grep -v -- '^---'
    }
    compare "README.md field table = fields of the parser" "$known_fields" "$(readme_table field)"
    compare "README.md setting table = settings of the parser" "$known_settings" "$(readme_table setting)"
else
    printf 'skipped: README.md not found\n'
fi

[ "$failed" -eq 0 ] || exit 1
exit 0
