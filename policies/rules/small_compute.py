"""CMP004: CodeBuild builds run on small compute, however the compute is chosen.

A project's builds run on its environment's compute type, or on a fleet (judged here when the fleet
is in the same stack, refused when it is not), and its batch builds on what the buildspec's `batch`
section names for each build, unless BuildBatchConfig restricts the compute types allowed.
"""

from __future__ import annotations

from typing import Any

import yaml

from compliance_gate.policies.cfn_values import as_list, ref_target
from compliance_gate.policies.model import Resource, Rule, StackContext

SMALL = "BUILD_GENERAL1_SMALL"
FLEET = "AWS::CodeBuild::Fleet"


def _environment(resource: Resource, stack: StackContext) -> list[str]:
    environment = resource.properties.get("Environment") or {}
    fleet_arn = (environment.get("Fleet") or {}).get("FleetArn")
    if fleet_arn is not None:
        fleet = stack.resources.get(ref_target(fleet_arn) or "")
        if fleet is None or fleet.get("Type") != FLEET:
            return [
                f"Environment.Fleet.FleetArn is {fleet_arn!r}, a fleet not defined in this stack: "
                "its compute cannot be judged"
            ]
        return []  # the fleet is judged as a resource of its own
    compute = environment.get("ComputeType")
    return [] if compute == SMALL else [f"Environment.ComputeType is {compute!r}, not {SMALL!r}"]


def _buildspec(text: Any) -> dict[str, Any] | None:
    """An inline buildspec (YAML, or JSON which YAML reads too), or None when the value names a file."""
    if not isinstance(text, str) or ("\n" not in text and not text.lstrip().startswith("{")):
        return None
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _batch_builds(batch: dict[str, Any]) -> list[tuple[str, Any]]:
    """(where, compute-type) of every build a batch section defines."""
    found = []
    for kind in ("build-list", "build-graph"):
        for index, build in enumerate(as_list(batch.get(kind))):
            env = (build or {}).get("env") or {}
            if "compute-type" in env:
                found.append((f"{kind}[{index}] {(build or {}).get('identifier', '')}".rstrip(), env["compute-type"]))
    matrix = ((batch.get("build-matrix") or {}).get("static") or {}).get("env") or {}
    if "compute-type" in matrix:
        found.append(("build-matrix.static", matrix["compute-type"]))
    for index, value in enumerate(
        as_list(((batch.get("build-matrix") or {}).get("dynamic") or {}).get("env", {}).get("compute-type"))
    ):
        found.append((f"build-matrix.dynamic compute-type[{index}]", value))
    return found


def _batch(resource: Resource) -> list[str]:
    config = resource.properties.get("BuildBatchConfig")
    if not isinstance(config, dict):
        return []
    allowed = (config.get("Restrictions") or {}).get("ComputeTypesAllowed")
    if allowed is not None:
        others = [value for value in as_list(allowed) if value != SMALL]
        return [
            f"BuildBatchConfig.Restrictions.ComputeTypesAllowed allows {value!r}, not only {SMALL!r}"
            for value in others
        ]
    source = resource.properties.get("Source") or {}
    text = source.get("BuildSpec")
    spec = _buildspec(text)
    if spec is None:
        where = f"({text!r})" if text is not None else "(buildspec.yml in the source)"
        return [
            f"BuildBatchConfig is set and the buildspec {where} is not inline: its batch builds may ask for other "
            f"compute; restrict BuildBatchConfig.Restrictions.ComputeTypesAllowed to [{SMALL!r}]"
        ]
    return [
        f"batch build {where} asks for compute-type {compute!r}, not {SMALL!r}"
        for where, compute in _batch_builds(spec.get("batch") or {})
        if compute != SMALL
    ]


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.type == FLEET:
        compute = resource.properties.get("ComputeType")
        return [] if compute == SMALL else [f"ComputeType is {compute!r}, not {SMALL!r}"]
    return _environment(resource, stack) + _batch(resource)


RULE = Rule(
    id="CMP004",
    title="CodeBuild uses small compute",
    severity="MEDIUM",
    rationale="Build capacity is a cost control: every project, fleet and batch build runs on BUILD_GENERAL1_SMALL.",
    fix=(
        "Set compute_type=codebuild.ComputeType.SMALL on the project's build environment (and on any fleet, "
        "defined in the same stack); for batch builds, restrict BuildBatchConfig.Restrictions.ComputeTypesAllowed "
        "to BUILD_GENERAL1_SMALL."
    ),
    check=check,
    resource_types=frozenset({"AWS::CodeBuild::Project", FLEET}),
)
