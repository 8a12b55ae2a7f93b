"""CMP004 over every way a CodeBuild build chooses its compute (issue 11, class 8): the project's
environment, a fleet (of this stack, or from elsewhere: refused), and batch builds, whose buildspec
names the compute of each build unless the project restricts it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compliance_gate.policies.model import Resource, StackContext
from compliance_gate.policies.rules import small_compute

SMALL, LARGE = "BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_LARGE"
FLEET = {"Type": "AWS::CodeBuild::Fleet", "Properties": {"ComputeType": SMALL, "BaseCapacity": 1}}
STACK = StackContext(name="s-dev", suffix="dev", account="111111111111", region="us-east-1", resources={"Fleet": FLEET})


def project(buildspec: Any = None, batch: dict | None = None, **environment: Any) -> Resource:
    properties: dict[str, Any] = {"Environment": {"ComputeType": SMALL, **environment}, "Source": {"Type": "NO_SOURCE"}}
    if buildspec is not None:
        properties["Source"]["BuildSpec"] = buildspec if isinstance(buildspec, str) else json.dumps(buildspec)
    if batch is not None:
        properties["BuildBatchConfig"] = batch
    return Resource("Project", "AWS::CodeBuild::Project", properties)


BATCH = {"ServiceRole": "arn:aws:iam::111111111111:role/batch"}
YAML_BATCH = """version: 0.2
batch:
  build-list:
    - identifier: small
    - identifier: big
      env:
        compute-type: BUILD_GENERAL1_LARGE
phases:
  build:
    commands: [make]
"""


def test_a_fleet_of_this_stack_is_judged_as_the_fleet() -> None:
    assert small_compute.check(project(Fleet={"FleetArn": {"Fn::GetAtt": ["Fleet", "Arn"]}}), STACK) == []


def test_a_fleet_from_elsewhere_cannot_be_judged() -> None:
    arn = "arn:aws:codebuild:us-east-1:111111111111:fleet/shared:1"
    assert small_compute.check(project(Fleet={"FleetArn": arn}), STACK) == [
        f"Environment.Fleet.FleetArn is {arn!r}, a fleet not defined in this stack: its compute cannot be judged"
    ]


@pytest.mark.parametrize(
    "buildspec",
    [
        YAML_BATCH,
        {"version": 0.2, "batch": {"build-matrix": {"static": {"env": {"compute-type": LARGE}}}}},
        {"version": 0.2, "batch": {"build-graph": [{"identifier": "a", "env": {"compute-type": LARGE}}]}},
    ],
)
def test_a_batch_build_asking_for_other_compute_fails(buildspec: Any) -> None:
    (problem,) = small_compute.check(project(buildspec, BATCH), STACK)
    assert problem.startswith("batch build ") and problem.endswith(f"asks for compute-type {LARGE!r}, not {SMALL!r}")


def test_batch_builds_with_a_buildspec_the_gate_cannot_read_fail_closed() -> None:
    assert small_compute.check(project("ci/buildspec.yml", BATCH), STACK) == [
        "BuildBatchConfig is set and the buildspec ('ci/buildspec.yml') is not inline: its batch builds may ask for "
        f"other compute; restrict BuildBatchConfig.Restrictions.ComputeTypesAllowed to [{SMALL!r}]"
    ]


def test_batch_builds_restricted_to_small_pass_whatever_the_buildspec() -> None:
    batch = {**BATCH, "Restrictions": {"ComputeTypesAllowed": [SMALL]}}
    assert small_compute.check(project("ci/buildspec.yml", batch), STACK) == []
    assert small_compute.check(project(YAML_BATCH, batch), STACK) == []


def test_a_restriction_allowing_other_compute_fails() -> None:
    batch = {**BATCH, "Restrictions": {"ComputeTypesAllowed": [SMALL, LARGE]}}
    assert small_compute.check(project(None, batch), STACK) == [
        f"BuildBatchConfig.Restrictions.ComputeTypesAllowed allows {LARGE!r}, not only {SMALL!r}"
    ]


def test_a_batch_build_without_compute_uses_the_projects() -> None:
    buildspec = {"version": 0.2, "batch": {"build-list": [{"identifier": "a"}]}}
    assert small_compute.check(project(buildspec, BATCH), STACK) == []
