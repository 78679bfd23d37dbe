#!/bin/sh
# The man page, without root: it renders without a single warning, it has
# the sections it must have, and its OPTIONS section documents exactly the
# long options that `tcpdrop --help` lists.
# Usage: sh tests/man.sh (TCPDROP and PAGE may point elsewhere).
top=$(cd "$(dirname "$0")/.." && pwd)
TCPDROP=${TCPDROP:-$top/tcpdrop}
PAGE=${PAGE:-$top/man/tcpdrop.8}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failed=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }
skip() { echo "SKIP $1: $2"; }

# one_line FILE: a file's lines joined by " | ", for a FAIL line.
one_line() { sed -n '1,5p' "$1" | tr '\n' '|' | sed 's/|$//; s/|/ | /g'; }

if [ ! -r "$PAGE" ]; then
	fail man_page "$PAGE is missing"
	exit 1
fi

# --- man_render: groff's warnings of every kind (-ww) and its errors are
# failures; -z formats without writing the output. man-db's man(1), when
# present, must render it quietly too (it adds preconv and its own width).
if ! command -v groff >/dev/null 2>&1; then
	skip man_render "groff is not installed (apt-get install groff)"
else
	groff -man -Tutf8 -ww -z "$PAGE" >"$WORK/groff.out" 2>"$WORK/groff.err"
	status=$?
	if [ "$status" -ne 0 ] || [ -s "$WORK/groff.err" ]; then
		fail man_render "groff -man -Tutf8 -ww -z exit $status: $(one_line "$WORK/groff.err")"
	elif command -v man >/dev/null 2>&1 &&
	     ! LC_ALL=C.UTF-8 MANPAGER=cat MANWIDTH=80 man --warnings=all -l "$PAGE" \
		>"$WORK/man.out" 2>"$WORK/man.err"; then
		fail man_render "man -l failed: $(one_line "$WORK/man.err")"
	elif [ -s "$WORK/man.err" ]; then
		fail man_render "man -l: $(one_line "$WORK/man.err")"
	else
		pass man_render
	fi
fi

# --- man_source: mistakes that render without a warning. A line starting
# with ' is a control line; an option spelled with a plain - renders as a
# hyphen, which breaks copy and paste and searching for "\-\-port".
grep -n "^'" "$PAGE" >"$WORK/quote"
grep -n -E '(^|[[:space:][(|"])--?[A-Za-z0-9]' "$PAGE" |
	grep -v '^[0-9]*:\.\\"' >"$WORK/minus"
if [ -s "$WORK/quote" ]; then
	fail man_source "line starts with a quote: $(one_line "$WORK/quote")"
elif [ -s "$WORK/minus" ]; then
	fail man_source "option with an unescaped minus (write \\-): $(one_line "$WORK/minus")"
else
	pass man_source
fi

# --- man_sections: the title line and every section heading.
missing=
grep -q '^\.TH TCPDROP 8 ' "$PAGE" || missing="$missing .TH TCPDROP 8;"
for section in NAME SYNOPSIS DESCRIPTION OPTIONS FILTERS OUTPUT FIELDS JSON \
	"COUNT MODE" EXAMPLES OVERHEAD "KERNEL REQUIREMENTS" "EXIT STATUS" \
	FILES "SEE ALSO"; do
	grep -q -x -F -e ".SH $section" -e ".SH \"$section\"" "$PAGE" ||
		missing="$missing $section;"
done
if [ -n "$missing" ]; then
	fail man_sections "missing:${missing%;}"
else
	pass man_sections
fi

# --- man_options: the long options of --help (any --name on any of its
# lines) against those the OPTIONS section of the page names, both ways.
# long_options: stdin -> the --names in it, sorted, once each.
long_options() {
	grep -o -e '--[a-z][a-z-]*[a-z]' | sort -u
}
if [ ! -x "$TCPDROP" ]; then
	skip man_options "$TCPDROP is not built (run make)"
elif ! "$TCPDROP" --help >"$WORK/help" 2>"$WORK/help.err"; then
	fail man_options "tcpdrop --help failed: $(one_line "$WORK/help.err")"
else
	long_options <"$WORK/help" >"$WORK/help.opts"
	# The OPTIONS section's source, comments dropped, with \- as - and
	# without font changes, so "\fB\-\-port\fR" reads "--port".
	sed -n '/^\.SH "*OPTIONS"*$/,/^\.SH/p' "$PAGE" | sed '1d;$d' |
		grep -v '^\.\\"' |
		sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' \
		    -e 's/\\f\[[^]]*\]//g' -e 's/\\[&~]//g' |
		long_options >"$WORK/man.opts"
	only_help=$(comm -23 "$WORK/help.opts" "$WORK/man.opts" | tr '\n' ' ')
	only_man=$(comm -13 "$WORK/help.opts" "$WORK/man.opts" | tr '\n' ' ')
	if [ ! -s "$WORK/man.opts" ]; then
		fail man_options "no --option found in the OPTIONS section"
	elif [ ! -s "$WORK/help.opts" ]; then
		fail man_options "no --option found in tcpdrop --help"
	elif [ -n "$only_help$only_man" ]; then
		why=
		[ -n "$only_help" ] &&
			why="in --help, not in the man page's OPTIONS: ${only_help% }"
		[ -n "$only_help" ] && [ -n "$only_man" ] && why="$why; "
		[ -n "$only_man" ] &&
			why="${why}in the man page's OPTIONS, not in --help: ${only_man% }"
		fail man_options "$why"
	else
		pass man_options
	fi
fi

exit "$failed"
