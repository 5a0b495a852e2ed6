#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Make, once, the arm64 sysroot of the arm64 lane: Debian bookworm's arm64
# .debs (busybox, bash, jq, iproute2's genl, python3 with yaml, libnl and
# GoogleTest for the cross build, libc, libstdc++) downloaded with a private
# apt state and extracted side by side, no multiarch: the system's own dpkg
# and apt state are not touched (Debian's bash:arm64 and jq:arm64 cannot be
# installed beside the amd64 ones). It is both the cross compilers' sysroot
# (libnl's static libraries and .pc files) and the VM's arm64 userspace.
#
# usage: selftests/vm/arm64-sysroot.sh [--refresh]
#
# Prints sysroot=DIR on stdout. Cached under /var/cache/ntcorral/arm64-sysroot
# (as root, else ~/.cache/ntcorral/arm64-sysroot; NTCORRAL_DEBUG_KERNEL_CACHE
# moves the root), keyed by the package list below; --refresh downloads the
# lists and packages again (a point release).
set -euo pipefail

self=$(readlink -f "${BASH_SOURCE[0]}")
pkgs=(busybox-static bash jq iproute2 python3-minimal libpython3.11-stdlib python3-yaml
	libnl-3-dev libnl-genl-3-dev libgtest-dev libstdc++6 libc6-dev)
refresh=0
case ${1:-} in
--refresh) refresh=1 ;;
'') ;;
-h|--help) sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$self"; exit 0 ;;
*) echo "arm64-sysroot: unknown argument '$1'" >&2; exit 2 ;;
esac

say() {
	echo "arm64-sysroot: $*" >&2
}
if [ -n "${NTCORRAL_DEBUG_KERNEL_CACHE:-}" ]; then
	c=$NTCORRAL_DEBUG_KERNEL_CACHE/arm64-sysroot
elif [ "$(id -u)" -eq 0 ]; then
	c=/var/cache/ntcorral/arm64-sysroot
else
	c=${XDG_CACHE_HOME:-$HOME/.cache}/ntcorral/arm64-sysroot
fi
key=$(printf '%s\n' "${pkgs[@]}" | sha256sum | cut -c1-12)
mkdir -p "$c"
c=$(cd "$c" && pwd)
exec 9>"$c/.lock"
flock 9
if [ "$refresh" -eq 0 ] && [ -f "$c/root-$key/.complete" ]; then
	echo "sysroot=$c/root-$key"
	exit 0
fi

mkdir -p "$c/apt/lists/partial" "$c/apt/archives/partial"
: >"$c/apt/status"
cat >"$c/apt/apt.conf" <<CONF
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
APT::Install-Recommends "false";
Dir::State::Lists "$c/apt/lists";
Dir::State::status "$c/apt/status";
Dir::Cache "$c/apt";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Debug::NoLocking "true";
CONF
export APT_CONFIG=$c/apt/apt.conf DEBIAN_FRONTEND=noninteractive
if [ "$refresh" -eq 1 ] || [ ! -f "$c/apt/.updated" ]; then
	say "apt-get update (arm64 lists, private state in $c/apt)"
	apt-get update -qq >/dev/null
	touch "$c/apt/.updated"
fi
say "downloading ${pkgs[*]} and what they depend on (arm64)"
# The status file is empty: apt resolves the whole closure, libc included.
apt-get install -y -qq --download-only "${pkgs[@]}" >/dev/null

r=$c/root-$key
rm -rf "$r"
mkdir -p "$r"
for d in "$c"/apt/archives/*.deb; do
	dpkg-deb -x "$d" "$r"
done
# usr-merge by hand: the debs ship /lib/aarch64-linux-gnu and /bin/bash,
# libnl's .pc says /usr/lib/aarch64-linux-gnu (dpkg-deb -x replaces a
# symlink made first with a directory, so merge afterwards).
for d in bin sbin lib; do
	if [ -d "$r/$d" ] && [ ! -L "$r/$d" ]; then
		mkdir -p "$r/usr/$d"
		cp -a "$r/$d/." "$r/usr/$d/"
		rm -rf "${r:?}/$d"
	fi
	ln -sfn "usr/$d" "$r/$d"
done
touch "$r/.complete"
say "$(find "$c/apt/archives" -name '*.deb' | wc -l) packages in $r ($(du -sh "$r" | cut -f1))"
echo "sysroot=$r"
