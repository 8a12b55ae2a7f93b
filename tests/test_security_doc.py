"""SECURITY.md lists every accepted exception of the synthesized app, and every project-wide skip."""

from __future__ import annotations

import re

from compliance_gate.aspects import register
from tests.support import ROOT, Synthesized

SECURITY = (ROOT / "SECURITY.md").read_text()


def test_exceptions_table_matches_the_synthesized_app(system: Synthesized) -> None:
    expected = register.markdown(register.collect(system.outdir)).strip("\n")
    assert register.embedded(SECURITY) == expected, "run `make security-doc`"


def test_every_global_checkov_skip_is_explained() -> None:
    skipped = re.findall(r"^  - (CKV\w+)", (ROOT / ".checkov.yaml").read_text(), re.M)
    assert skipped
    for check in skipped:
        assert re.search(rf"^\| {check} ", SECURITY, re.M), check


def test_every_cfn_lint_ignore_is_explained() -> None:
    ignored = re.findall(r"^  - ([EWI]\d+)", (ROOT / ".cfnlintrc.yaml").read_text(), re.M)
    for check in ignored:
        assert check in SECURITY
