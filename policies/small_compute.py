"""CMP004: CodeBuild runs on BUILD_GENERAL1_SMALL."""

from __future__ import annotations

from policies.model import Resource, Rule, StackContext

SMALL = "BUILD_GENERAL1_SMALL"


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.type == "AWS::CodeBuild::Fleet":
        compute, location = resource.properties.get("ComputeType"), "ComputeType"
    else:
        compute, location = (resource.properties.get("Environment") or {}).get("ComputeType"), "Environment.ComputeType"
    return [] if compute == SMALL else [f"{location} is {compute!r}, not {SMALL!r}"]


RULE = Rule(
    id="CMP004",
    title="CodeBuild uses small compute",
    severity="MEDIUM",
    rationale="Build capacity is a cost control: every project and fleet runs on BUILD_GENERAL1_SMALL.",
    fix="Set compute_type=codebuild.ComputeType.SMALL on the project's build environment (and on any fleet).",
    check=check,
    resource_types=frozenset({"AWS::CodeBuild::Project", "AWS::CodeBuild::Fleet"}),
)
