#!/usr/bin/env bash
# build-debug-kernel.sh - build (or find cached) the debug kernel of the selftests.
#
# Builds an x86_64 kernel from Debian's linux-source-6.12 package
# (/usr/src/linux-source-6.12.tar.xz): `make allnoconfig`, then the fragments
# selftests/kernel/*.config merged with merge_config.sh -m, then
# `make olddefconfig`; every option the fragments set is then checked against
# the final .config, and the build fails on any that did not take (a typo or an
# unmet dependency). Everything the guest needs is built in; the tree is left
# ready for out-of-tree module builds (make -C $KDIR M=...), and
# `make modules_install` fills <cache>/modroot, so that kmod's modprobe finds
# built-in modules (modules.builtin, modules.dep) there.
#
# Cache: ${SLUICE_CACHE:-$HOME/.cache/sluice}/debug-kernel-<hash>/, where <hash>
# covers this script, the fragments, the linux-source package version and the
# compiler version. The build happens in a temporary sibling directory that is
# renamed into place only once everything succeeded, so a directory with the
# final name is always complete; a warm run only prints the result (and
# touches the directory, marking it used). After a successful build, cache
# directories of other hashes that no run has used for an hour are deleted
# (recently used ones may still serve another checkout). A lock file
# serialises concurrent builds.
#
# Output: on success, exactly these four lines on stdout (all else goes to
# stderr or to build.log in the cache directory):
#   KVER=<kernel release>
#   VMLINUZ=<bzImage>
#   MODDIR=<modroot/lib/modules/KVER>
#   KDIR=<built kernel tree, usable as KDIR>
#
# Usage: selftests/build-debug-kernel.sh
set -euo pipefail

# Keep stdout for the result lines only.
exec 3>&1 1>&2

export LC_ALL=C
# Variables from a calling make or the environment must not steer this build.
unset ARCH SRCARCH CROSS_COMPILE LLVM CC LD KBUILD_OUTPUT O KBUILD_EXTMOD \
	KCONFIG_CONFIG KBUILD_KCONFIG KCFLAGS KCPPFLAGS KAFLAGS KBUILD_EXTRA_SYMBOLS \
	INSTALL_MOD_PATH INSTALL_MOD_DIR LOCALVERSION MAKEFLAGS MFLAGS MAKELEVEL

readonly SRC_PKG=linux-source-6.12
readonly TARBALL=/usr/src/linux-source-6.12.tar.xz
readonly TOPDIR=linux-source-6.12	# top directory inside the tarball

script=$(readlink -f "${BASH_SOURCE[0]}")
frag_dir=$(dirname "$script")/kernel
fragments=("$frag_dir/base.config" "$frag_dir/debug.config")
cache_root=${SLUICE_CACHE:-$HOME/.cache/sluice}

die() { echo "build-debug-kernel: error: $*" >&2; exit 1; }
log() { printf 'build-debug-kernel: [%4ds] %s\n' "$SECONDS" "$*" >&2; }

print_result() {	# $1 = cache directory
	local dir=$1 kver
	kver=$(<"$dir/kernelrelease")
	printf 'KVER=%s\nVMLINUZ=%s\nMODDIR=%s\nKDIR=%s\n' "$kver" \
		"$dir/linux/arch/x86/boot/bzImage" \
		"$dir/modroot/lib/modules/$kver" "$dir/linux" >&3
}

is_complete() {		# $1 = cache directory
	[[ -f $1/kernelrelease && -f $1/linux/arch/x86/boot/bzImage ]]
}

# --- prerequisites ---------------------------------------------------------
command -v dpkg-query >/dev/null || die "dpkg-query not found (a Debian system is expected)"
missing=()
for pkg in "$SRC_PKG" gcc make libc6-dev flex bison bc libelf-dev kmod xz-utils; do
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) == installed ]] ||
		missing+=("$pkg")
done
((${#missing[@]} == 0)) ||
	die "missing Debian package(s): ${missing[*]} (install them, e.g. with 'make deps')"
[[ -r $TARBALL ]] || die "$TARBALL not found although $SRC_PKG is installed"
for f in "${fragments[@]}"; do
	[[ -r $f ]] || die "config fragment $f not found"
done

# --- cache key -------------------------------------------------------------
src_version=$(dpkg-query -W -f='${Version}' "$SRC_PKG")
hash=$({
	echo "$SRC_PKG $src_version"
	gcc --version | sed -n 1p
	sha256sum <"$script"
	for f in "${fragments[@]}"; do
		echo "${f##*/}"
		sha256sum <"$f"
	done
} | sha256sum | cut -c1-16)
final=$cache_root/debug-kernel-$hash

if is_complete "$final"; then
	touch "$final" 2>/dev/null || true	# marks it used (see the clean-up below)
	print_result "$final"
	exit 0
fi

# --- cold path: lock, then build in a temporary directory ------------------
mkdir -p "$cache_root"
exec {lock_fd}>"$cache_root/.debug-kernel.lock"
if ! flock -n "$lock_fd"; then
	log "another build holds $cache_root/.debug-kernel.lock; waiting"
	flock "$lock_fd"
fi
if is_complete "$final"; then	# built by the run we waited for
	print_result "$final"
	exit 0
fi

# Leftovers of interrupted runs (nobody else builds: we hold the lock).
rm -rf "$cache_root"/debug-kernel-*.tmp.*

avail_kb=$(df -Pk "$cache_root" | awk 'NR == 2 { print $4 }')
((avail_kb > 6 * 1024 * 1024)) ||
	die "less than 6 GiB free in $cache_root ($((avail_kb / 1024)) MiB); the build needs about 4 GiB"

tmp=$(mktemp -d "$final.tmp.XXXXXX")
build_log=$tmp/build.log
failed_log=$cache_root/debug-kernel-$hash.failed.log
child=			# process group of the running build step, if any
show_log=		# set when a build step failed: its log tail is worth showing
cleanup() {
	local rc=$? i
	if [[ -n $child ]]; then	# interrupted: stop the build step first
		kill -TERM -- "-$child" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 -- "-$child" 2>/dev/null || break
			sleep 0.2
		done
	fi
	if [[ -n ${tmp:-} && -d $tmp ]]; then
		if ((rc != 0)) && [[ -f $build_log ]]; then
			cp "$build_log" "$failed_log" || true
			if [[ -n $show_log ]]; then
				echo "build-debug-kernel: last lines of the build log:" >&2
				tail -n 40 "$build_log" >&2 || true
			fi
			echo "build-debug-kernel: build log kept in $failed_log" >&2
		fi
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Runs a command with its output in the build log. It runs in its own process
# group, waited for in the background, so that a signal to this script (which
# bash would otherwise hold until the command ends) stops the whole step.
run() {
	local rc=0
	echo "+ $*" >>"$build_log"
	setsid --wait "$@" >>"$build_log" 2>&1 </dev/null &
	child=$!
	wait "$child" || rc=$?
	child=
	((rc == 0)) || { show_log=1; die "'$*' failed (exit $rc)"; }
}

log "building $SRC_PKG $src_version into $final (log: build.log there)"
kdir=$tmp/linux
mkdir "$kdir"

# Other architectures' trees and Documentation/ are not extracted, except the
# Kconfig files that the x86 configuration sources from them and arch/um (whose
# Makefile.rules fs/hostfs/Makefile includes on every architecture).
log "extracting $TARBALL"
echo "+ extract $TARBALL" >>"$build_log"
xz -T0 -dc "$TARBALL" | tar -x -C "$kdir" --strip-components=1 --wildcards \
	"$TOPDIR/[!aD]*" \
	"$TOPDIR/arch/Kconfig" "$TOPDIR/arch/x86" "$TOPDIR/arch/um" \
	"$TOPDIR/arch/*/crypto/Kconfig" \
	"$TOPDIR/Documentation/Kconfig" ||
	die "extracting $TARBALL failed"

cd "$kdir"
log "configuring: allnoconfig + ${fragments[*]##*/}"
# KCONFIG_ALLCONFIG pins 64BIT: on an x86 host ARCH is "x86", where 64BIT is a
# prompt that allnoconfig would answer n, giving 32-bit defaults to every
# other option (FRAME_WARN, SPARSEMEM_VMEMMAP...) that olddefconfig keeps.
echo CONFIG_64BIT=y >"$tmp/allno.config"
run make allnoconfig KCONFIG_ALLCONFIG="$tmp/allno.config"
run scripts/kconfig/merge_config.sh -m .config "${fragments[@]}"
run make olddefconfig

# Every option set in a fragment (the last fragment that sets it wins) must
# have exactly that value in the final .config.
declare -A want=()
declare -a order=()
for f in "${fragments[@]}"; do
	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			sym=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set ]]; then
			sym=${BASH_REMATCH[1]} val=n
		else
			continue
		fi
		[[ -v "want[$sym]" ]] || order+=("$sym")
		want[$sym]=$val
	done <"$f"
done
bad=0
for sym in "${order[@]}"; do
	val=${want[$sym]}
	got=$(grep -E "^$sym=" .config | head -n1 || true)
	got=${got#*=}
	if [[ $val == n ]]; then
		[[ -z $got || $got == n ]] && continue
		echo "build-debug-kernel: $sym: requested not set, final .config has $sym=$got" >&2
	else
		[[ $got == "$val" ]] && continue
		echo "build-debug-kernel: $sym: requested $val, final .config has ${got:-it not set}" >&2
	fi
	bad=1
done
((bad == 0)) || die "the final .config differs from the fragments (see above); fix selftests/kernel/*.config"
log "config verified: ${#order[@]} options from the fragments are as requested"

log "building with make -j$(nproc) (several minutes)"
run make -j"$(nproc)"
kver=$(<include/config/kernel.release)
[[ -n $kver && -f arch/x86/boot/bzImage && -f Module.symvers ]] ||
	die "the build did not produce bzImage, Module.symvers and a kernel release"

log "installing modules into modroot"
run make modules_install INSTALL_MOD_PATH="$tmp/modroot"
moddir=$tmp/modroot/lib/modules/$kver
for f in modules.builtin modules.builtin.modinfo modules.dep modules.order; do
	[[ -f $moddir/$f ]] || die "modules_install did not create $moddir/$f"
done
# modprobe must resolve built-in modules from there (the initramfs builder relies on it).
modprobe=$(command -v modprobe || echo /sbin/modprobe)
run "$modprobe" --dry-run -d "$tmp/modroot" -S "$kver" nf_nat
# modules_install links build -> the tree it ran in; point it at the final place.
ln -sfn "$final/linux" "$moddir/build"

echo "$kver" >"$tmp/kernelrelease"
rm -rf "$final"		# an incomplete directory of that name cannot exist, but be safe
mv -T "$tmp" "$final"
tmp=
rm -f "$failed_log"
log "done: $kver in $final"

# Other hashes' builds (and failure logs) that no run used for an hour.
while IFS= read -r -d '' old; do
	log "deleting unused old build $old"
	rm -rf "$old"
done < <(find "$cache_root" -mindepth 1 -maxdepth 1 -name 'debug-kernel-*' \
	! -name "debug-kernel-$hash" ! -name "debug-kernel-$hash.*" -mmin +60 -print0)

print_result "$final"
