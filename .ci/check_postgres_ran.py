"""Fail CI unless PostgreSQL-backed tests ran and none of them was skipped."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

MIN_POSTGRES_TESTS = 10


def main(path: str) -> int:
    cases = ET.parse(path).getroot().iter("testcase")
    ran = skipped = 0
    for case in cases:
        if "postgres" not in case.get("name", ""):
            continue
        if case.find("skipped") is not None:
            skipped += 1
        else:
            ran += 1
    sys.stdout.write(f"postgres tests: {ran} ran, {skipped} skipped\n")
    if skipped or ran < MIN_POSTGRES_TESTS:
        sys.stdout.write("FAIL: the PostgreSQL tests must run in CI, not skip\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
