"""Route tests generated from the CloudFormation resource schemas: for every type and property the schemas
give a deletion or termination protection, a physical name or a write-only credential, a violation planted
through that property is refused by the rule's function, by the Aspect (enforcement point 1), by the
validation plugin (2) and by checkov (3), and a compliant twin passes all three."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cfnlint
import pytest

from compliance_gate import apply_gate
from compliance_gate.aspects import GateRun
from compliance_gate.policies import schema_facts
from compliance_gate.policies.evaluation import FAIL
from compliance_gate.policies.model import Resource, StackContext
from compliance_gate.policies.name_limits import NAME_LIMITS
from compliance_gate.policies.rules import destroyable, naming, no_hardcoded_secrets
from tests.support import ROOT

SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"
SUFFIX = "fam"
STACK = StackContext(name=f"families-{SUFFIX}", suffix=SUFFIX, account="111111111111", region="us-east-1")
ENV = cdk.Environment(account="111111111111", region="us-east-1")
CHECKOV = ROOT / ".venv" / "bin" / "checkov"
SECRET = "hunter2-Literal-9xQ"
REFERENCE = "{{resolve:secretsmanager:db-secret-fam:SecretString:password}}"


def planted(path: str, value: Any) -> dict[str, Any]:
    """Properties holding `value` at a schema path (`A.B[].C`)."""
    head, _, rest = path.partition(".")
    inner = planted(rest, value) if rest else value
    if head.endswith("[]"):
        return {head[:-2]: [inner]}
    return {head: inner}


def _outermost(paths: list[str]) -> list[str]:
    return [path for path in paths if not any(path.startswith(f"{other}.") for other in paths)]


@dataclass(frozen=True)
class Case:
    rule_id: str
    resource_type: str
    violating: dict[str, Any]
    compliant: dict[str, Any] | None
    """None where no name satisfies the type's own name limits with the suffix (counted, not tested)."""

    @property
    def logical_id(self) -> str:
        return "".join(part for part in self.resource_type.split("::")[1:]) + self.rule_id


def _protection_cases() -> list[Case]:
    cases = []
    for resource_type, paths in schema_facts.facts()["protection"].items():
        for index, path in enumerate(_outermost(paths)):
            on, off = (True, False) if not path.endswith("Configuration") else ({"Status": "ENABLED"}, {})
            name_property = NAME_LIMITS.get(resource_type)
            named = {name_property.prop: _compliant_name(resource_type)} if name_property else {}
            cases.append(
                Case(f"CMP001-{index}", resource_type, {**named, **planted(path, on)}, {**named, **planted(path, off)})
            )
    return cases


def _compliant_name(resource_type: str) -> str | None:
    limit = NAME_LIMITS[resource_type]
    for separator in ("-", "_", "."):
        for name in (f"orders{separator}thing{separator}{SUFFIX}", f"ab{separator}c{separator}{SUFFIX}"):
            if not limit.problems(name) and not naming.check(Resource("R", resource_type, {limit.prop: name}), STACK):
                return name
    return None


def _naming_cases() -> list[Case]:
    cases = []
    for resource_type in json.loads((ROOT / "policies" / "name_properties.json").read_text()):
        prop, good = NAME_LIMITS[resource_type].prop, _compliant_name(resource_type)
        cases.append(Case("CMP005", resource_type, {prop: f"{SUFFIX}-orders-thing"}, good and {prop: good}))
    return cases


def _credential_cases() -> list[Case]:
    return [
        Case(f"CMP008-{index}", resource_type, planted(path, SECRET), planted(path, REFERENCE))
        for resource_type, paths in schema_facts.facts()["credentials"].items()
        for index, path in enumerate(paths)
    ]


PROTECTION, NAMING, CREDENTIALS = _protection_cases(), _naming_cases(), _credential_cases()
CASES = PROTECTION + NAMING + CREDENTIALS
RULES = {"CMP001": destroyable.check, "CMP005": naming.check, "CMP008": no_hardcoded_secrets.check}


def test_the_facts_are_generated_from_the_schemas_cfn_lint_ships() -> None:
    assert json.loads(schema_facts.GENERATED.read_text()) == schema_facts.generate(SCHEMAS), (
        "stale: run `python -m policies.schema_facts`"
    )


def test_the_families_cover_the_schemas() -> None:
    """The generated families, counted (README and SECURITY.md quote these figures)."""
    protection = schema_facts.facts()["protection"]
    assert (len(protection), len(PROTECTION)) == (37, 37)
    assert len(NAMING) == 775
    assert sum(case.compliant is None for case in NAMING) < 40
    assert (len(schema_facts.facts()["credentials"]), len(CREDENTIALS)) == (47, 63)


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.rule_id}-{case.resource_type}")
def test_the_rule_refuses_the_planted_violation_and_passes_its_twin(case: Case) -> None:
    check = RULES[case.rule_id[:6]]
    assert check(Resource(case.logical_id, case.resource_type, case.violating, deletion_policy="Delete"), STACK)
    if case.compliant is not None:
        twin = Resource(case.logical_id, case.resource_type, case.compliant, deletion_policy="Delete")
        assert check(twin, STACK) == []


@dataclass
class Synthesized:
    run: GateRun
    outdir: Path


def _ids(index: int) -> tuple[str, str]:
    """The construct IDs (and logical IDs: top-level in their stack) of a case's violation and twin."""
    return f"Bad{index}x", f"Good{index}x"


@pytest.fixture(scope="module")
def families(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Every case as raw CfnResources, violating and compliant (DeletionPolicy Delete), in stacks of at most
    400 resources."""
    outdir = tmp_path_factory.mktemp("families") / "cdk.out"
    app = cdk.App(outdir=str(outdir))
    run = apply_gate(app, suffix=SUFFIX)
    resources = []
    for index, case in enumerate(CASES):
        bad, good = _ids(index)
        resources.append((bad, case.resource_type, case.violating))
        if case.compliant is not None:
            resources.append((good, case.resource_type, case.compliant))
    for start in range(0, len(resources), 400):
        stack = cdk.Stack(app, f"families-{start // 400}-{SUFFIX}", env=ENV)
        for construct_id, resource_type, properties in resources[start : start + 400]:
            resource = cdk.CfnResource(stack, construct_id, type=resource_type, properties=properties)
            resource.cfn_options.deletion_policy = cdk.CfnDeletionPolicy.DELETE  # RDS's default is Snapshot
    with contextlib.suppress(RuntimeError):  # the violations, reported
        app.synth()
    return Synthesized(run, outdir)


@pytest.fixture(scope="module")
def refused(families: Synthesized) -> dict[str, set[tuple[str, str]]]:
    """(rule ID, construct ID) of every resource each enforcement point refused."""
    run = families.run
    result = subprocess.run(
        [
            *(str(CHECKOV), "-d", str(families.outdir), "--framework", "cloudformation", "--skip-download"),
            *("--external-checks-dir", str(ROOT / "policies" / "checkov"), "--check", "CMP001,CMP005,CMP008"),
            *("-o", "json", "--compact"),
        ],
        env={**os.environ, "CDK_OUT": str(families.outdir)},
        cwd=families.outdir,
        capture_output=True,
        text=True,
        check=False,
    )
    reports = json.loads(result.stdout)
    checkov = {
        (check["check_id"], check["resource"].split(".", 1)[1])
        for report in (reports if isinstance(reports, list) else [reports])
        for check in report.get("results", {}).get("failed_checks", [])
    }
    return {
        "aspect": {(rule_id, path.split("/")[1]) for path, rule_id in run.annotated},
        "plugin": {(r.rule_id, r.path.split("/")[1]) for r in run.results if r.status == FAIL},
        "checkov": checkov,
    }


@pytest.mark.parametrize("family", ["protection", "naming", "credentials"])
def test_every_enforcement_point_refuses_each_violation_and_passes_each_twin(
    refused: dict[str, set[tuple[str, str]]], family: str
) -> None:
    cases = {"protection": PROTECTION, "naming": NAMING, "credentials": CREDENTIALS}[family]
    missed: dict[str, list[str]] = {point: [] for point in refused}
    twins_refused: dict[str, list[str]] = {point: [] for point in refused}
    for index, case in enumerate(CASES):
        if case not in cases:
            continue
        rule, (bad, good) = case.rule_id[:6], _ids(index)
        for point, found in refused.items():
            if (rule, bad) not in found:
                missed[point].append(f"{case.resource_type} {case.violating}")
            if case.compliant is not None and (rule, good) in found:
                twins_refused[point].append(f"{case.resource_type} {case.compliant}")
    assert missed == {point: [] for point in refused}
    assert twins_refused == {point: [] for point in refused}
