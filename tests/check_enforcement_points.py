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
    "aspect": (
        ("tests/test_gate_routes.py", "test_route_is_caught_by_the_aspect_where_it_can_see_it"),
        ("tests/test_rule_aspects.py", "test_an_aspect_annotates_the_violating_construct_in_its_scope_only"),
        ("tests/test_rule_aspects.py", "test_each_aspect_judges_its_own_rule_only"),
        ("tests/test_rule_aspects.py", "test_an_aspect_sees_what_a_mutating_aspect_changed"),
        ("tests/test_rule_aspects.py", "test_the_violation_is_reported_before_any_file_is_written"),
    ),
    "plugin": (("tests/test_gate_routes.py", "test_route_is_caught_by_the_plugin_and_reported"),),
    "checkov": (("tests/test_checkov_checks.py", "test_checkov_fails_every_route"),),
}
"""The tests only each point satisfies: with it switched off, each must fail."""


def failures(point: str, tests: list[str]) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.disable_point", "-rf", *tests],
        env={**os.environ, "GATE_DISABLED_POINT": point},
        capture_output=True,
        text=True,
        check=False,
    )
    return set(re.findall(r"^FAILED \S+::(\w+)", result.stdout, re.M))


def main() -> int:
    problems = []
    for point, expected in EXPECTED.items():
        failed = failures(point, sorted({tests for tests, _ in expected}))
        for _, test in expected:
            verdict = "fail as they should" if test in failed else "DO NOT FAIL"
            print(f"{point} switched off: {test} {verdict}")
            if test not in failed:
                problems.append(f"{point}: {test}")
        print(f"{point} switched off: {len(failed)} failing test functions")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
