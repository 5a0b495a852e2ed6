#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what ntcorral needs to build and test (Debian). Idempotent; quiet when
# everything is already there.
set -euo pipefail

pkgs=(
	build-essential cmake pkg-config kmod bc flex bison libelf-dev libssl-dev
	libnl-3-dev libnl-genl-3-dev libgtest-dev nlohmann-json3-dev libcli11-dev jq
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	qemu-system-x86 busybox-static cpio xz-utils
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root or install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
