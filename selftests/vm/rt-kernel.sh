#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Debian's prebuilt PREEMPT_RT kernel (linux-image-6.12-rt-amd64, no build)
# for the test VM, and ntcorral.ko built against its headers.
#
# usage: selftests/vm/rt-kernel.sh [--module DIR]
#
# Prints, on stdout, key=value lines (everything else goes to stderr):
#   kernelrelease=  e.g. 6.12.117+deb12-rt-amd64
#   bzImage=        /boot/vmlinuz-<kernelrelease>, for vm.sh --kernel
#   kdir=           its headers, for make -C <kdir> M=<dir> modules
#   ko=             with --module: the ntcorral module built against kdir
#
# Installs linux-image-6.12-rt-amd64 and linux-headers-6.12-rt-amd64 when
# missing (root, apt-get). The stock lane is not affected: vm.sh boots the
# 6.1 series unless told otherwise.
#
#   --module DIR   copy Kbuild, module/ and uapi/ into DIR (created,
#                  emptied) and build ntcorral.ko there; the repository's
#                  own ntcorral.ko is left alone
#
# The selftests on it:
#   eval "$(selftests/vm/rt-kernel.sh --module /tmp/ntc-rt)"
#   NTCORRAL_KO=$ko selftests/vm/vm.sh --kernel "$bzImage" --timeout 1500
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
pkgs=(linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64)

die() {
	echo "rt-kernel: $*" >&2
	exit 1
}

moddir=
while [ $# -gt 0 ]; do
	case $1 in
	--module) [ $# -ge 2 ] || die "--module needs a directory"; moddir=$2; shift 2 ;;
	-h|--help) sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "${missing[*]} not installed, and installing needs root"
	echo "rt-kernel: installing ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed"
fi

# The release the meta-package points at: its headers' directory name.
rel=$(dpkg-query -W -f='${Depends}' linux-headers-6.12-rt-amd64 |
	sed -n 's/.*linux-headers-\([^ ,]*-rt-amd64\).*/\1/p')
[ -n "$rel" ] || die "cannot tell the RT kernel's release from linux-headers-6.12-rt-amd64"
kdir=/usr/src/linux-headers-$rel
bzImage=/boot/vmlinuz-$rel
[ -d "$kdir" ] || die "$kdir not found"
[ -r "$bzImage" ] || die "$bzImage not found or not readable (root?)"
echo "kernelrelease=$rel"
echo "bzImage=$bzImage"
echo "kdir=$kdir"

if [ -n "$moddir" ]; then
	rm -rf "$moddir"
	mkdir -p "$moddir"
	cp -r "$root/Kbuild" "$root/module" "$root/uapi" "$moddir/"
	echo "rt-kernel: building ntcorral.ko against $kdir in $moddir" >&2
	make -C "$kdir" M="$moddir" modules >&2 || die "the module did not build against $kdir"
	echo "ko=$moddir/ntcorral.ko"
fi
