"""Fail CI unless PostgreSQL-backed tests ran and none of them was skipped.

``check_postgres_ran.py JUNIT`` checks the tests parametrised on both backends (their names say
``postgres``). ``check_postgres_ran.py --default JUNIT`` checks the pass with
``DOM_DATABASE_URL`` on PostgreSQL: the single-backend tests must have run there (the
``postgres_default_url`` fixture marks each with a ``default_database`` property).
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

MIN_POSTGRES_TESTS = 10
MIN_DEFAULT_POSTGRES_TESTS = 200


def _on_postgres_by_name(case: ET.Element) -> bool:
    return "postgres" in case.get("name", "")


def _on_postgres_by_default(case: ET.Element) -> bool:
    return any(p.get("name") == "default_database" and p.get("value") == "postgres"
               for p in case.iter("property"))


def main(argv: list[str]) -> int:
    by_default = argv[0] == "--default"
    path = argv[-1]
    selected = _on_postgres_by_default if by_default else _on_postgres_by_name
    minimum = MIN_DEFAULT_POSTGRES_TESTS if by_default else MIN_POSTGRES_TESTS
    ran = skipped = failed = 0
    for case in ET.parse(path).getroot().iter("testcase"):
        if not selected(case):
            continue
        if case.find("skipped") is not None:
            skipped += 1
        elif case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        else:
            ran += 1
    label = "single-backend tests on PostgreSQL" if by_default else "postgres tests"
    sys.stdout.write(f"{label}: {ran} ran, {skipped} skipped, {failed} failed\n")
    if skipped or failed or ran < minimum:
        sys.stdout.write("FAIL: the PostgreSQL tests must run in CI, not skip\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
