#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make style: checkpatch (from Debian's linux-source) on the module and the
# uapi header, clang-format on the client. Non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."

cp_dir=${NTCORRAL_CHECKPATCH_DIR:-/tmp/ntcorral-checkpatch}
if [ ! -x "$cp_dir/scripts/checkpatch.pl" ]; then
	src=$(ls /usr/src/linux-source-*.tar.* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$src" ] || { echo "style: no /usr/src/linux-source-*: run make deps" >&2; exit 1; }
	mkdir -p "$cp_dir"
	tar xf "$src" -C "$cp_dir" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
fi

rc=0
# LINUX_VERSION_CODE: an out-of-tree module builds against several kernels.
findings=$(perl "$cp_dir/scripts/checkpatch.pl" --no-tree --terse --show-types \
	--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON \
	-f module/*.c module/*.h uapi/*.h | grep -E 'ERROR|WARNING' || true)
if [ -n "$findings" ]; then
	echo "$findings"
	rc=1
fi
clang-format --dry-run --Werror userspace/src/*.[ch]pp userspace/tests/*.cpp || rc=1
[ $rc -eq 0 ] && echo "style: clean"
exit $rc
