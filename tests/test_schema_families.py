"""Route tests generated from the CloudFormation resource schemas: for every type and property the schemas
give a deletion or termination protection, a physical name or a write-only credential, a violation planted
through that property is refused by the rule's function, by the Aspects (enforcement point 1, which read
the L1s CfnInclude makes of the planted template), by the validation plugin (2) and by checkov (3), and a
compliant twin passes all three."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cfnlint
import pytest
from aws_cdk import cloudformation_include as cfn_inc

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


def _outermost(paths: list[str]) -> list[str]:
    return [path for path in paths if not any(path.startswith(f"{other}.") for other in paths)]


@cache
def _schema(resource_type: str) -> dict[str, Any]:
    index = json.loads((SCHEMAS / "providers" / "us-east-1.json").read_text())
    return json.loads((SCHEMAS / "resources" / f"{index[resource_type]}.json").read_text())


def _spec(schema: dict[str, Any], spec: Any) -> dict[str, Any]:
    """A property's definition, its `$ref` followed."""
    while isinstance(spec, dict) and "$ref" in spec:
        target: Any = schema
        for part in spec["$ref"][2:].split("/"):
            target = target.get(part, {})
        spec = target
    return spec if isinstance(spec, dict) else {}


def _placeholder(schema: dict[str, Any], spec: Any, depth: int = 0) -> Any:
    """A value of a schema property's type (with the required properties of an object), so CDK's L1 of the
    type accepts a planted case (it refuses a resource without its required properties)."""
    spec = _spec(schema, spec)
    kind = spec.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if depth > 6:
        return "x"
    if "enum" in spec:
        return spec["enum"][0]
    if kind in ("integer", "number"):
        return spec.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "array":
        return [_placeholder(schema, spec.get("items", {}), depth + 1)]
    if kind == "object" or "properties" in spec:
        return _required_of(schema, spec, depth)
    for combinator in ("oneOf", "anyOf"):
        if combinator in spec:
            return _placeholder(schema, spec[combinator][0], depth + 1)
    return "x"


def _required_of(schema: dict[str, Any], spec: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    properties = spec.get("properties", {})
    required = [name for name in spec.get("required", []) if name in properties]
    return {name: _placeholder(schema, properties[name], depth + 1) for name in required}


def planted(resource_type: str, path: str, value: Any) -> dict[str, Any]:
    """Properties holding `value` at a schema path (`A.B[].C`), every object on the way given its required
    properties, so CDK's L1 renders them."""
    schema = _schema(resource_type)

    def plant(spec: dict[str, Any], steps: list[str]) -> Any:
        if not steps:
            return value
        if steps[0] == "[]":
            return [plant(_spec(schema, spec.get("items", {})), steps[1:])]
        child = _spec(schema, spec.get("properties", {}).get(steps[0], {}))
        return {**_required_of(schema, spec), steps[0]: plant(child, steps[1:])}

    return plant(schema, [step for step in re.split(r"\.|(?=\[\])", path) if step])


def _switch(resource_type: str, path: str) -> tuple[Any, Any]:
    """Values that switch a protection property on and off, from its definition: a boolean, an enumeration
    (an off word for off), or an object holding one (`{"Mode": "ENABLED"}`)."""
    schema = _schema(resource_type)
    spec = _schema(resource_type)
    for step in [step for step in re.split(r"\.|(?=\[\])", path) if step]:
        spec = _spec(schema, spec.get("items", {}) if step == "[]" else spec.get("properties", {}).get(step, {}))
    if "enum" in spec:
        words = [str(word) for word in spec["enum"]]
        on = next(word for word in words if word.lower() not in destroyable.OFF_WORDS)
        return on, next((word for word in words if word.lower() in destroyable.OFF_WORDS), None)
    if spec.get("type") == "object" or "properties" in spec:
        for name, child in spec.get("properties", {}).items():
            on, off = _switch_of(schema, _spec(schema, child))
            if on is not None:
                required = _required_of(schema, spec)
                return {**required, name: on}, None if off is None else {**required, name: off}
    return True, False


def _switch_of(schema: dict[str, Any], spec: dict[str, Any]) -> tuple[Any, Any]:
    if "enum" in spec:
        words = [str(word) for word in spec["enum"]]
        on = next((word for word in words if word.lower() not in destroyable.OFF_WORDS), None)
        return on, next((word for word in words if word.lower() in destroyable.OFF_WORDS), None)
    if spec.get("type") == "boolean":
        return True, False
    return None, None


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
            on, off = _switch(resource_type, path)
            name_property = NAME_LIMITS.get(resource_type)
            named = {name_property.prop: _compliant_name(resource_type)} if name_property else {}
            twin = None if off is None else {**named, **planted(resource_type, path, off)}
            violating = {**named, **planted(resource_type, path, on)}
            cases.append(Case(f"CMP001-{index}", resource_type, violating, twin))
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
        Case(
            f"CMP008-{index}",
            resource_type,
            planted(resource_type, path, SECRET),
            planted(resource_type, path, REFERENCE),
        )
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


def _included(resources: dict[str, dict[str, Any]], directory: Path) -> tuple[Path, set[str]]:
    """A template of the resources CDK's L1s accept and render (CfnInclude makes each an L1, which the
    Aspects read), and the logical IDs of those they refuse: a property CDK requires that the schemas do
    not, or a placeholder of the wrong shape for a `oneOf` (a refusal names the L1's props class)."""
    refused: set[str] = set()
    directory.mkdir(parents=True, exist_ok=True)
    template = directory / "included.json"
    while True:
        template.write_text(json.dumps({"Resources": {k: v for k, v in resources.items() if k not in refused}}))
        probe = cdk.App(outdir=str(directory / "probe"))
        try:
            cfn_inc.CfnInclude(cdk.Stack(probe, "probe"), "Cases", template_file=str(template))
            probe.synth()
            return template, refused
        except RuntimeError as error:
            named = re.search(r"/Cases/(\w+) \[", str(error))
            if named:
                refused.add(named.group(1))
                continue
            kind = re.search(r'for "Cfn(\w+)Props"', str(error)).group(1)
            refused |= {logical_id for logical_id, body in resources.items() if body["Type"].endswith(f"::{kind}")}


@pytest.fixture(scope="module")
def families(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Every case, violating and compliant (DeletionPolicy Delete, the schema's required properties given),
    through CfnInclude in stacks of at most 400 resources; the few CDK's L1 refuses as raw CfnResources."""
    directory = tmp_path_factory.mktemp("families")
    app = cdk.App(outdir=str(directory / "cdk.out"))
    run = apply_gate(app, suffix=SUFFIX)
    resources = {}
    for index, case in enumerate(CASES):
        for logical_id, properties in zip(_ids(index), (case.violating, case.compliant), strict=True):
            if properties is not None:
                schema = _schema(case.resource_type)
                body = {**_required_of(schema, schema), **properties}
                resources[logical_id] = {"Type": case.resource_type, "Properties": body, "DeletionPolicy": "Delete"}
    ids = list(resources)
    for number, start in enumerate(range(0, len(ids), 400)):
        stack = cdk.Stack(app, f"families-{number}-{SUFFIX}", env=ENV)
        batch = {logical_id: resources[logical_id] for logical_id in ids[start : start + 400]}
        template, refused = _included(batch, directory / f"stack-{number}")
        included = cfn_inc.CfnInclude(stack, "Cases", template_file=str(template))
        RAW.update(i for i in batch if i not in refused and not hasattr(included.get_resource(i), "inspect"))
        for logical_id in refused:
            body = batch[logical_id]
            raw = cdk.CfnResource(stack, logical_id, type=body["Type"], properties=body["Properties"])
            raw.cfn_options.deletion_policy = cdk.CfnDeletionPolicy.DELETE
            RAW.add(logical_id)
    with contextlib.suppress(RuntimeError):  # the violations, reported
        app.synth()
    return Synthesized(run, directory / "cdk.out")


RAW: set[str] = set()
"""Cases of types aws-cdk-lib has no L1 for, or whose L1 refused them, added as raw CfnResources: the
Aspects cannot read their properties (the plugin and checkov judge them)."""


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
        "aspect": {(rule_id, path.rsplit("/", 1)[-1]) for path, rule_id in run.annotated},
        "plugin": {(r.rule_id, r.logical_id) for r in run.results if r.status == FAIL},
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
            if (rule, bad) not in found and not (point == "aspect" and bad in RAW):
                missed[point].append(f"{case.resource_type} {case.violating}")
            if case.compliant is not None and (rule, good) in found:
                twins_refused[point].append(f"{case.resource_type} {case.compliant}")
    assert missed == {point: [] for point in refused}
    assert twins_refused == {point: [] for point in refused}
    assert len(RAW) <= 60, RAW  # 52 of 1,736: types newer than aws-cdk-lib, placeholders an L1 refused
