#!/bin/sh
# Runs every cmocka unit-test binary given, counted by test case, and ends
# with a closing tally line (see tests/check.sh).
exec sh "$(dirname "$0")/check.sh" unit "$@"
