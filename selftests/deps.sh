#!/bin/bash
# Install every Debian package sluice needs to build, test and benchmark.
# Idempotent and quiet when everything is there (`make deps`).
set -euo pipefail

PKGS=(
	# build
	build-essential pkg-config libnl-3-dev libnl-genl-3-dev libelf-dev
	linux-headers-cloud-amd64 linux-headers-6.12-cloud-amd64
	# the kernels the suite boots
	linux-image-cloud-amd64 linux-image-6.12-cloud-amd64
	# the debug kernel
	linux-source-6.12 flex bison bc libssl-dev dwarves xz-utils zstd
	# the VM and what goes into its initramfs
	qemu-system-x86 busybox-static cpio kmod iproute2 nftables ipvsadm
	conntrack util-linux gojq
	# benchmarks
	gnuplot-nox valgrind
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: run as root (or install these packages): ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
