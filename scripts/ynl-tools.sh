#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's YNL tools (tools/net/ynl: cli.py, the generator, their
# library) and the netlink schemas (Documentation/netlink/*.yaml), from
# Debian's linux-source-6.12, extracted once; prints the directory they are
# in. Used by scripts/ynl-check.sh (host) and selftests/vm/vm.sh (cli.py in
# the VM). NTCORRAL_YNL_DIR overrides the directory.
set -euo pipefail

src=/usr/src/linux-source-6.12.tar.xz
ynl=${NTCORRAL_YNL_DIR:-/tmp/ntcorral-ynl}

for p in python3-yaml python3-jsonschema linux-source-6.12; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || {
		echo "ynl-tools: installing $p" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
	}
done
if [ ! -f "$ynl/tools/net/ynl/cli.py" ] || [ ! -f "$ynl/tools/net/ynl/ynl-gen-c.py" ]; then
	mkdir -p "$ynl"
	tar xf "$src" -C "$ynl" --strip-components=1 --wildcards \
		'*/Documentation/netlink/*.yaml' '*/tools/net/ynl/*'
fi
echo "$ynl"
