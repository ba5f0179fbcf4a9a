#!/bin/sh
# The VM's random number generator is seeded at boot, as on a real server:
# the CPU offers RDRAND (selftests/kernels.sh: -cpu qemu64,+rdrand) and the
# kernel credited it. Unseeded, every get_random_u32() goes through the
# input pool's BLAKE2s, which once made up 20-30% of the instructions
# `make bench` counts per connection (Documentation/testing.md).
# timeout: 30
. /selftests/lib.sh

grep -qw rdrand /proc/cpuinfo || fail "the VM's CPU has no RDRAND flag (qemu -cpu)"
# Since 5.18 entropy_avail is the input pool's credited bits, capped at
# 256, and the crng is ready exactly when it reaches 256.
bits=$(cat /proc/sys/kernel/random/entropy_avail)
[ "$bits" -ge 256 ] || fail "entropy_avail is $bits, below 256: the crng is not seeded"
dmesg | grep -q 'random: crng init done' || fail "no 'random: crng init done' in the kernel log"
log "rdrand present, entropy_avail $bits, crng ready"
