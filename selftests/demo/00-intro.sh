#!/bin/sh
# Demo opening: what is loaded.
. /selftests/lib.sh
echo "=== sluice demo ==="
echo
echo "\$ sluice version"
sluice version
echo
