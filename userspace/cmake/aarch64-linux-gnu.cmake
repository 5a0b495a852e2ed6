# SPDX-License-Identifier: GPL-2.0
# Cross-building the client for arm64 (scripts/arm64-build.sh): Debian's
# aarch64-linux-gnu toolchain, libraries from the arm64 sysroot of
# selftests/vm/arm64-sysroot.sh (CMAKE_PREFIX_PATH, PKG_CONFIG_LIBDIR),
# linked statically so that the VM needs none of them.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_EXE_LINKER_FLAGS_INIT -static)
