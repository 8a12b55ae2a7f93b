"""CMP004: CodeBuild builds run on small compute, however the compute is chosen.

A project's builds run on its environment's compute type, or on a fleet (judged here when the fleet
is in the same stack, refused when it is not), and its batch builds on what the buildspec's `batch`
section names for each build, unless BuildBatchConfig restricts the compute types allowed.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from compliance_gate.policies.cfn_values import as_list, ref_target
from compliance_gate.policies.model import CUSTOM_RESOURCES, Resource, Rule, StackContext
from compliance_gate.policies.named_values import named_values
from compliance_gate.policies.sdk_calls import documents

SMALL = "BUILD_GENERAL1_SMALL"
FLEET = "AWS::CodeBuild::Fleet"
PROJECT = "AWS::CodeBuild::Project"
STARTING = frozenset(
    {
        "AWS::Events::Rule",
        "AWS::Scheduler::Schedule",
        "AWS::Pipes::Pipe",
        "AWS::StepFunctions::StateMachine",
        "AWS::CodePipeline::Pipeline",
        *CUSTOM_RESOURCES,
    }
)
"""Types that start builds and can choose their compute (an override) as they do."""
_CHOOSING = re.compile(r"^(computetypeoverride|computetype)$", re.I)


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


def _started(resource: Resource) -> list[str]:
    """Compute chosen when a build starts: a computeTypeOverride (or a compute type) anywhere a resource
    starts builds, in an SDK call's parameters (startBuild, startBuildBatch), an EventBridge or Scheduler
    target's input, a state machine's definition or a pipeline action's configuration."""
    return list(
        dict.fromkeys(
            f"{prefix}{location} chooses {value!r}, not {SMALL!r}"
            for prefix, document in documents(resource.type, resource.properties)
            for location, name, value in named_values(document)
            if _CHOOSING.match(name) and not isinstance(value, dict | list) and value != SMALL
        )
    )


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.type == FLEET:
        compute = resource.properties.get("ComputeType")
        return [] if compute == SMALL else [f"ComputeType is {compute!r}, not {SMALL!r}"]
    if resource.type != PROJECT:
        return _started(resource)
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
    resource_types=frozenset({PROJECT, FLEET, *STARTING}),
)
