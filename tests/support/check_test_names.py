#!/usr/bin/env python3
"""Fails when a doctest case name would not run under ctest.

doctest_discover_tests splits the case list at ';', so a case named "a; b" becomes
two ctest entries that each match no case, run nothing and still pass."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
bad = []
for path in sorted(root.rglob("*.cpp")):
    for n, line in enumerate(path.read_text().splitlines(), 1):
        for name in re.findall(r'\b(?:TEST_CASE|SUBCASE)\("((?:[^"\\]|\\.)*)"', line):
            if ";" in name:
                bad.append(f"{path}:{n}: {name}")
if bad:
    print("test names that ctest would split (use ',' instead of ';'):", *bad, sep="\n  ")
    sys.exit(1)
print("every test name survives ctest's discovery")
