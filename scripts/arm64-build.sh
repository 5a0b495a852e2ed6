#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Everything the arm64 lane boots, cross-built: the kernel (cached,
# selftests/vm/arm64-kernel.sh), ntcorral.ko against it, the client (static,
# userspace/cmake/aarch64-linux-gnu.cmake) and the selftests' C programs
# (static), staged with the test scripts in a selftests tree for vm.sh.
#
# usage: scripts/arm64-build.sh [OUTDIR]     (default: build/arm64)
#
# Prints key=value lines on stdout (image=, ko=, client=, selftests=, and
# the kernel script's key=, kdir=, ...): eval them, then
#   NTCORRAL_KO=$ko NTCORRAL_CLIENT=$client NTCORRAL_SELFTESTS=$selftests \
#       selftests/vm/vm.sh --arch arm64 --kernel "$image" [-- command ...]
# Installs what it misses (g++-aarch64-linux-gnu, the arm64 sysroot's
# packages); the kernel's first build takes about 5 minutes on 2 cores.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/build/arm64}
jobs=${NTCORRAL_DEBUG_KERNEL_JOBS:-2}
cross=aarch64-linux-gnu-
say() {
	echo "arm64-build: $*" >&2
}
die() {
	say "$*"
	exit 1
}

for p in g++-aarch64-linux-gnu gcc-aarch64-linux-gnu; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		[ "$(id -u)" -eq 0 ] || die "missing package $p; run as root or install it"
		say "installing $p"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
	fi
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
sysroot=$("$root/selftests/vm/arm64-sysroot.sh" | sed -n 's/^sysroot=//p')
[ -d "$sysroot" ] || die "no arm64 sysroot"

# the kernel and the module against it
kernel_out=$("$root/selftests/vm/arm64-kernel.sh" --module "$out/module")
echo "$kernel_out"

# the client, static (pkg_check_modules() finds libnl's .so whatever
# CMAKE_FIND_LIBRARY_SUFFIXES says: its cache entries name the .a instead)
say "cross-building the client in $out/client"
PKG_CONFIG_LIBDIR=$sysroot/usr/lib/aarch64-linux-gnu/pkgconfig:$sysroot/usr/share/pkgconfig \
PKG_CONFIG_SYSROOT_DIR=$sysroot \
	cmake -S "$root/userspace" -B "$out/client" \
	-DCMAKE_TOOLCHAIN_FILE="$root/userspace/cmake/aarch64-linux-gnu.cmake" \
	-DCMAKE_PREFIX_PATH="$sysroot/usr" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-Dpkgcfg_lib_LIBNL_nl-3="$sysroot/usr/lib/aarch64-linux-gnu/libnl-3.a" \
	-Dpkgcfg_lib_LIBNL_nl-genl-3="$sysroot/usr/lib/aarch64-linux-gnu/libnl-genl-3.a" \
	>"$out/client.log" 2>&1 ||
	{ tail -n 30 "$out/client.log" >&2; die "cmake failed (log: $out/client.log)"; }
cmake --build "$out/client" --target ntcorral -j"$jobs" >>"$out/client.log" 2>&1 ||
	{ grep -E 'error|warning' "$out/client.log" | head -n 40 >&2; die "the client did not build (log: $out/client.log)"; }
echo "client=$out/client/ntcorral"

# the selftests: the C programs static, into their own directory (the
# x86 ones stay in selftests/), then staged with the scripts
say "cross-building the selftests in $out/selftests-bin"
mkdir -p "$out/selftests-bin"
make -C "$root/selftests" -j"$jobs" OUTPUT="$out/selftests-bin" CROSS_COMPILE="$cross" \
	USERCFLAGS=-static >"$out/selftests.log" 2>&1 ||
	{ grep -E 'error|warning' "$out/selftests.log" | head -n 40 >&2; die "the selftests did not build (log: $out/selftests.log)"; }
st=$out/selftests
rm -rf "$st"
mkdir -p "$st"
tar -C "$root/selftests" --exclude=./vm --exclude=./.ksft -cf - . | tar -C "$st" -xf -
# no host (x86) program in the arm64 tree
while IFS= read -r -d '' f; do
	[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && rm -f "$f"
done < <(find "$st" -type f -print0)
cp -a "$out/selftests-bin/." "$st/"
while IFS= read -r -d '' f; do
	if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] &&
		! readelf -h "$f" | grep -q 'Machine:.*AArch64'; then
		die "$f is not an arm64 program"
	fi
done < <(find "$st" -type f -print0)
echo "selftests=$st"
