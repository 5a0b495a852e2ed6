#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make run TARGET=host: run every experiment and variant on this box.
# Loads ntcorral.ko unless a module is already loaded, runs the client,
# unloads what it loaded. Needs root. Extra client options: RUN_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" -eq 0 ] || { echo "run-host: needs root (insmod, and runs need CAP_SYS_ADMIN)" >&2; exit 1; }
[ -f ntcorral.ko ] || { echo "run-host: ntcorral.ko not found: run make first" >&2; exit 1; }
want=$(modinfo -F vermagic ntcorral.ko | cut -d' ' -f1)
[ "$want" = "$(uname -r)" ] || {
	echo "run-host: ntcorral.ko is built for $want but this box runs $(uname -r); build with KDIR=/lib/modules/$(uname -r)/build" >&2
	exit 1
}

loaded=
if ! grep -q '^ntcorral ' /proc/modules; then
	insmod ntcorral.ko
	loaded=1
fi
cleanup() { [ -z "$loaded" ] || rmmod ntcorral; }
trap cleanup EXIT

# shellcheck disable=SC2086
userspace/build/ntcorral run all ${RUN_ARGS:-}
