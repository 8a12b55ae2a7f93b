"""Switches each enforcement point off in turn and expects the route tests that only it covers to
fail: proof that every route test can tell which point caught its violation.

    python -m tests.check_enforcement_points    (part of `make test`)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

EXPECTED = {
    "aspect": ("tests/test_gate_routes.py", "test_route_is_caught_by_the_aspect_where_it_can_see_it"),
    "plugin": ("tests/test_gate_routes.py", "test_route_is_caught_by_the_plugin_and_reported"),
    "checkov": ("tests/test_checkov_checks.py", "test_checkov_fails_every_route"),
}


def failures(point: str, tests: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.disable_point", "-rf", tests],
        env={**os.environ, "GATE_DISABLED_POINT": point},
        capture_output=True,
        text=True,
        check=False,
    )
    return set(re.findall(r"^FAILED \S+::(\w+)", result.stdout, re.M))


def main() -> int:
    problems = []
    for point, (tests, expected) in EXPECTED.items():
        failed = failures(point, tests)
        verdict = "fail as they should" if expected in failed else "DO NOT FAIL"
        print(f"{point} switched off: {expected} {verdict} ({len(failed)} failing test functions)")
        if expected not in failed:
            problems.append(point)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
