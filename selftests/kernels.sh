# Host-side helpers of the selftest runner: which kernels, and how to build
# the module for one. Sourced by check.sh, vm-shell.sh, demo.sh, bench.

SLUICE_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SLUICE_BUILD=${SLUICE_BUILD:-$SLUICE_TOP/build}

# kernel_resolve NAME: sets KVER VMLINUZ MODDIR KDIR for "6.1", "6.12" or
# "debug" (the debug kernel is built, or taken from its cache).
kernel_resolve() {
	local name=$1 v
	KVER= VMLINUZ= MODDIR= KDIR=
	case $name in
	6.1|6.12)
		for v in /boot/vmlinuz-"$name".*-cloud-amd64; do
			[ -e "$v" ] || continue
			KVER=${v#/boot/vmlinuz-}
		done
		if [ -z "$KVER" ]; then
			echo "no Debian $name cloud kernel in /boot (make deps)" >&2
			return 1
		fi
		VMLINUZ=/boot/vmlinuz-$KVER
		MODDIR=/lib/modules/$KVER
		KDIR=$MODDIR/build
		;;
	debug)
		local out
		out=$("$SLUICE_TOP/selftests/build-debug-kernel.sh") || return 1
		eval "$out"
		;;
	*)
		echo "unknown kernel '$name' (6.1, 6.12 or debug)" >&2
		return 1
		;;
	esac
	if [ ! -d "$KDIR" ]; then
		echo "no headers for $KVER at $KDIR (make deps)" >&2
		return 1
	fi
}

# module_build OUTDIR: builds sluice.ko for $KDIR in OUTDIR (a copy of the
# module sources, so builds for several kernels do not clobber each other).
# Fails if the build fails or warns; the log is OUTDIR/build.log.
module_build() {
	local out=$1
	mkdir -p "$out"
	rm -rf "$out/kmod" "$out/uapi"
	cp -r "$SLUICE_TOP/kmod" "$SLUICE_TOP/uapi" "$SLUICE_TOP/Kbuild" "$out/"
	(cd "$out/kmod" && rm -f ./*.o ./*.ko ./*.mod ./*.mod.c .*.cmd modules.order)
	if ! make -C "$KDIR" M="$out" modules >"$out/build.log" 2>&1; then
		return 1
	fi
	! grep -qi 'warning' "$out/build.log"
}

# vm_prepare NAME [EXTRA_TESTS_DIR]: resolves kernel NAME, builds the module
# for it and the initramfs. Sets KVER VMLINUZ MODDIR KDIR INITRD VMDIR.
# Returns 2 if the module does not build cleanly (log in $VMDIR/build.log).
vm_prepare() {
	local name=$1 extra=${2:-}
	kernel_resolve "$name" || return 1
	VMDIR=$SLUICE_BUILD/$name
	mkdir -p "$VMDIR"
	module_build "$VMDIR" || return 2
	INITRD=$VMDIR/initramfs.cpio.gz
	"$SLUICE_TOP/selftests/mkinitramfs.sh" "$INITRD" "$KVER" "$MODDIR" \
		"$VMDIR/kmod/sluice.ko" "$extra" || return 1
}

# vm_boot NAME APPEND [QEMU ARGS...]: boots the prepared VM, killed after
# $VM_TIMEOUT seconds if set. Memory is larger for the debug kernel
# (KASAN's shadow, kmemleak's pool). TCG runs single-threaded: with one
# host thread per vCPU, QEMU 7.2 races with the guest's text patching
# (static keys) and the guest dies of a stale int3; TCG_THREAD=multi
# reproduces it (Documentation/testing.md, "Single-threaded TCG").
# RDRAND seeds the guest's random number generator at boot, as on real
# machines (Documentation/testing.md).
vm_boot() {
	local name=$1 append=$2 mem=1G
	shift 2
	[ "$name" = debug ] && mem=2G
	timeout -s KILL "${VM_TIMEOUT:-0}" qemu-system-x86_64 -accel "tcg,thread=${TCG_THREAD:-single}" -cpu qemu64,+rdrand -smp 2 -m "$mem" -nodefaults -no-user-config \
		-no-reboot -display none -kernel "$VMLINUZ" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 $append" "$@"
}
