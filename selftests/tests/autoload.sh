#!/bin/sh
# The generic-netlink family autoloads the module (MODULE_ALIAS_GENL_FAMILY)
# when the CLI asks for it with the module not loaded.
# timeout: 60
. /selftests/lib.sh

if module_loaded; then
	rmmod sluice || fail "cannot unload sluice"
fi
module_loaded && fail "sluice still loaded"
out=$(sluice version 2>&1) || fail "sluice version did not autoload the module: $out"
module_loaded || fail "sluice version worked but the module is not in /proc/modules"
echo "$out" | grep -q '^module ' || fail "no module version in '$out'"
log "autoloaded: $(echo "$out" | tr '\n' ' ')"
