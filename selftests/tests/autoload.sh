#!/bin/sh
# The generic-netlink family autoloads the module (MODULE_ALIAS_GENL_FAMILY)
# when the CLI asks for it with the module not loaded; a command the CLI
# refuses (a typo in an option) does not ask, so it loads nothing.
# timeout: 60
. /selftests/lib.sh

if module_loaded; then
	rmmod sluice || fail "cannot unload sluice"
fi
module_loaded && fail "sluice still loaded"
expect_usage "unknown option 'bogus'" sluice service add tcp 10.96.0.10:80 bogus x
expect_usage "service set: 'balance' given twice" sluice service set tcp 10.96.0.10:80 balance 2 balance 3
expect_usage "backend set: 10.1.1.2:80 needs 'weight W'" sluice backend set tcp 10.96.0.10:80 10.1.1.2:80
module_loaded && fail "a command refused as a usage error loaded the module"
out=$(sluice version 2>&1) || fail "sluice version did not autoload the module: $out"
module_loaded || fail "sluice version worked but the module is not in /proc/modules"
echo "$out" | grep -q '^module ' || fail "no module version in '$out'"
log "autoloaded: $(echo "$out" | tr '\n' ' ')"
