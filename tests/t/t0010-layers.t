#!/bin/sh
test_description='the source layers include only downward (doc/DESIGN.md, "Layers")'
. "$(dirname "$0")/test-lib.sh"

# From the bottom up; a file may include headers of its own layer and of
# the layers listed before it.
layers="core git crypto policy engine audit session cli"

rank() {
	i=0
	for l in $layers; do
		test "$l" = "$1" && { echo $i; return; }
		i=$((i + 1))
	done
	echo 99
}

# includes: "LAYER FILE HEADER_LAYER HEADER" for every project header a
# source file includes.
includes() {
	for f in "$PC_SRC_DIR"/src/*/*.[ch]; do
		d=$(basename "$(dirname "$f")")
		sed -n 's/^#include "\([a-z0-9-]*\.h\)".*/\1/p' "$f" | while read -r h; do
			for p in "$PC_SRC_DIR"/src/*/"$h"; do
				test -f "$p" || continue
				echo "$d ${f#"$PC_SRC_DIR"/} $(basename "$(dirname "$p")") $h"
			done
		done
	done
}

test_expect_success 'every folder of src/ is a known layer' '
	for d in "$PC_SRC_DIR"/src/*/; do
		test "$(rank "$(basename "$d")")" != 99 || { echo "unknown layer $d"; return 1; }
	done
'

test_expect_success 'no source file includes a header of a layer above its own' '
	includes >edges &&
	test -s edges &&
	while read -r from file to header; do
		if test "$(rank "$to")" -gt "$(rank "$from")"; then
			echo "$file ($from) includes $header ($to)"
		fi
	done <edges >upward &&
	test_must_be_empty upward
'

test_expect_success 'the check itself sees an upward include' '
	echo "engine src/git/repo.h audit audit.h" >fake &&
	while read -r from file to header; do
		test "$(rank "$to")" -gt "$(rank "$from")" && echo up
	done <fake >upward &&
	test -s upward
'

test_done
