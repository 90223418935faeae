#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs each cmocka binary, then prints one total line; exits non-zero if any test failed.
passed=0
failed=0
for t in "$@"; do
    out=$("$t" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    [ "$rc" -ne 0 ] && [ -z "$f" ] && failed=$((failed + 1)) && echo "$t exited with $rc"
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
