# SPDX-License-Identifier: GPL-2.0
#
# sluice: `make` builds kmod/sluice.ko and userspace/sluice.
#
#   make                 module (against KDIR) and CLI
#   make install         install both (module under /lib/modules/<ver>/extra, then depmod)
#   make deps            install every Debian package the project needs
#   make check [T=name] [EXTRA_TESTS=dir] [KERNELS="6.1 6.12 debug"]
#                        unit tests, then the selftests in QEMU on every kernel
#   make vm-shell [KERNEL=6.1|6.12|debug]
#                        the test VM with an interactive shell
#   make demo            what sluice does, shown in the VM
#   make bench           same-boot benchmarks against peers (IPVS, no module)
#   make bench-algo      userspace quality/cost benchmark of the schedulers

# The running kernel's headers, or else the newest installed Debian cloud
# kernel's (a build host often runs a kernel it has no headers for).
KVER ?= $(shell uname -r)
KDIR ?= $(firstword $(wildcard /lib/modules/$(KVER)/build) \
          $(lastword $(sort $(wildcard /lib/modules/*-cloud-amd64/build))))
DESTDIR ?=
PREFIX  ?= /usr/local

all: module cli

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { \
	  echo "sluice: no kernel headers found; install linux-headers-$(KVER) or pass KDIR=..." >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

cli:
	$(MAKE) -C userspace

tools:
	$(MAKE) -C selftests/tools

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra $(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	depmod $(if $(DESTDIR),-b $(DESTDIR)) $$(cat $(KDIR)/include/config/kernel.release)
	install -D -m 0755 userspace/sluice $(DESTDIR)$(PREFIX)/sbin/sluice

deps:
	@selftests/deps.sh

check: deps
	@selftests/check.sh

vm-shell: deps
	@selftests/vm-shell.sh

demo: deps
	@selftests/demo.sh

bench: deps
	@bench/run.sh

bench-algo: deps
	$(MAKE) -C bench/algo

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	$(MAKE) -C userspace clean
	-$(MAKE) -C selftests/tools clean
	-$(MAKE) -C selftests/unit clean
	rm -rf build

.PHONY: all module cli tools install deps check vm-shell demo bench bench-algo clean
