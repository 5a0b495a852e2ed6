# SPDX-License-Identifier: GPL-2.0
# ntcorral: build the module, the client and the selftests; test; run.
#
#   make            build everything (installs missing Debian packages first)
#   make check      build, client unit tests, the kselftests in a QEMU VM on
#                   the stock kernel, a cached debug kernel, Debian's RT
#                   kernel and a cached debug RT kernel; ends with
#                   "N passed, N failed"
#   make check-debug  the debug-kernel lane alone
#   make check-rt   the two RT lanes alone
#   make check-kcsan  the KCSAN lane alone
#   make check-arm64  the arm64 lane alone (cross-built, qemu-system-aarch64)
#   make check-testbox  the README's test-box commands on a full Debian
#                   system in QEMU (debootstrapped once, cached)
#   make bench      ntcorral bench in the VM at 1 .. nproc vCPUs (ratios only)
#   make run        boot the VM, run every experiment and variant, report
#   make run TARGET=host   the same on this box: insmod, client, rmmod
#   make install    the module for KDIR's kernel (modules_install, depmod),
#                   so that modprobe finds it, and the client in PREFIX/bin
#   make style      checkpatch on the module, clang-format on the client

# The kernel the VM boots: Debian bookworm's stock 6.1 kernel, pinned by
# vm.sh (a 6.12 or -rt image installed beside it is another lane's).
VM_KVER ?= $(shell selftests/vm/vm.sh --stock-kver 2>/dev/null)
# Build against the running kernel where it has a build tree, else the VM's.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		    $(wildcard /lib/modules/$(VM_KVER)/build))
TARGET ?= vm
PREFIX ?= /usr/local
SMP ?= 4
# Extra client options for make run, e.g. RUN_ARGS="--iterations 200"
RUN_ARGS ?=
CLIENT := userspace/build/ntcorral

.PHONY: all deps deps-host deps-selftests module client selftests check check-debug check-rt check-kcsan check-arm64 check-testbox run bench \
	install style clean

all: module client selftests

# What the VM lanes need too (make check, run, bench).
deps:
	@scripts/install-deps.sh all

# What building on this box needs: no qemu, no other kernel.
deps-host:
	@scripts/install-deps.sh host

# And the kselftests on this box (linux-source-6.1 for lib.mk, jq).
deps-selftests:
	@scripts/install-deps.sh selftests

module: deps-host
	@test -n "$(KDIR)" || { echo "no kernel build tree: install linux-headers-amd64 (make deps)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

client: deps-host
	cmake -S userspace -B userspace/build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build userspace/build -j2

selftests: deps-selftests
	$(MAKE) -C selftests -j2

# The module where modprobe finds it (extra/ntcorral.ko of KDIR's kernel),
# and the client. DKMS (dkms.conf) does the same on every kernel upgrade.
# A distribution's headers carry no signing key (Debian's sign with a key
# kept elsewhere): then it is installed unsigned, said once, instead of
# sign-file's OpenSSL errors. A box that enforces signatures
# (module.sig_enforce, lockdown) refuses it until it is signed with a key
# the box trusts (MOK, or the key of a self-built kernel).
SIGNING_KEY := $(wildcard $(KDIR)/certs/signing_key.pem)

install: module client
	$(if $(SIGNING_KEY),,@echo "install: no $(KDIR)/certs/signing_key.pem: ntcorral.ko is installed unsigned")
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install $(if $(SIGNING_KEY),,CONFIG_MODULE_SIG_ALL=)
	depmod -a $$(modinfo -F vermagic ntcorral.ko | cut -d' ' -f1)
	install -D -m 0755 $(CLIENT) $(DESTDIR)$(PREFIX)/bin/ntcorral

check: deps all
	scripts/check.sh

# The debug-kernel lane alone (lockdep, KASAN, KUnit, kmemleak, torture).
check-debug: deps all
	NTCORRAL_STOCK_LANE=0 NTCORRAL_RT_LANE=0 NTCORRAL_DEBUG_RT_LANE=0 NTCORRAL_KCSAN_LANE=0 NTCORRAL_ARM64_LANE=0 scripts/check.sh

# The RT lanes alone (Debian's PREEMPT_RT kernel, the debug RT kernel).
check-rt: deps all
	NTCORRAL_STOCK_LANE=0 NTCORRAL_DEBUG_LANE=0 NTCORRAL_KCSAN_LANE=0 NTCORRAL_ARM64_LANE=0 scripts/check.sh

# The KCSAN lane alone (data races, missing barriers).
check-kcsan: deps all
	NTCORRAL_STOCK_LANE=0 NTCORRAL_DEBUG_LANE=0 NTCORRAL_RT_LANE=0 NTCORRAL_DEBUG_RT_LANE=0 NTCORRAL_ARM64_LANE=0 scripts/check.sh

# The arm64 lane alone (the suite cross-built, on an arm64 kernel in
# qemu-system-aarch64).
check-arm64: deps all
	NTCORRAL_STOCK_LANE=0 NTCORRAL_DEBUG_LANE=0 NTCORRAL_RT_LANE=0 NTCORRAL_DEBUG_RT_LANE=0 NTCORRAL_KCSAN_LANE=0 scripts/check.sh

# The test-box lane: the README's test-box commands on a debootstrapped
# Debian system in QEMU (not part of check: a second build and suite).
check-testbox: deps
	selftests/vm/testbox.sh

# On a test box (TARGET=host) only the module and the client, nothing a VM needs.
ifeq ($(TARGET),host)
run: module client
else
run: deps all
endif
ifeq ($(TARGET),host)
	scripts/run-host.sh
else
	selftests/vm/vm.sh --smp $(SMP) -- ntcorral run all $(RUN_ARGS)
endif

bench: deps all
	scripts/bench.sh $(BENCH_ARGS)

style:
	scripts/style.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf userspace/build selftests/vm/out build
	-$(MAKE) -C selftests clean
