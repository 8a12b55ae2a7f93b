"""Issue 22, defect 2: whatever CloudFormation starts at creation (a pipeline's first execution, the image
bootstrap's StartBuild) waits for the policies of the roles it runs as. IAM policies are separate
resources (AWS::IAM::Policy) created after the projects they name, so without a dependency CloudFormation
creates them in parallel with the pipeline, whose first build can then be refused (aws-cdk issues
38861, 38504). Read from the synthesized templates: every resource that starts a build depends, directly
or through others, on every policy attached to the role of the project it starts."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support import Synthesized


def depends_on(resources: dict[str, Any], logical_id: str) -> set[str]:
    """Everything CloudFormation creates before `logical_id`: DependsOn and references, transitively."""
    found: set[str] = set()
    pending = [logical_id]
    while pending:
        resource = resources[pending.pop()]
        text = json.dumps(resource.get("Properties", {}))
        direct = set(resource.get("DependsOn", []))
        direct |= set(re.findall(r'"Ref": "([A-Za-z0-9]+)"', text))
        direct |= set(re.findall(r'"Fn::GetAtt": \["([A-Za-z0-9]+)"', text))
        for name in direct & resources.keys() - found:
            found.add(name)
            pending.append(name)
    return found


def role_policies(resources: dict[str, Any], project_id: str) -> set[str]:
    """The project's role and every AWS::IAM::Policy attached to it."""
    role = resources[project_id]["Properties"]["ServiceRole"]["Fn::GetAtt"][0]
    return {role} | {
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"].get("Roles", [])
    }


def starters(template: dict[str, Any]) -> list[tuple[str, str]]:
    """(resource, project) for each pipeline CodeBuild action and each custom resource that starts a build."""
    resources = template["Resources"]
    found = []
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::CodePipeline::Pipeline":
            for stage in resource["Properties"]["Stages"]:
                for action in stage["Actions"]:
                    if action["ActionTypeId"]["Provider"] == "CodeBuild":
                        found.append((logical_id, action["Configuration"]["ProjectName"]["Ref"]))
        elif '\\"action\\":\\"startBuild\\"' in json.dumps(resource.get("Properties", {})):
            found += [
                (logical_id, ref)
                for ref in re.findall(r'"Ref": "([A-Za-z0-9]+Project[A-Za-z0-9]+)"', json.dumps(resource))
            ]
    return found


def test_every_build_started_at_creation_waits_for_its_roles_policies(system: Synthesized) -> None:
    checked = 0
    for name in system.stack_names:
        resources = system.raw(name)["Resources"]
        for starter, project in starters(system.raw(name)):
            if resources[project]["Type"] != "AWS::CodeBuild::Project":
                continue
            missing = role_policies(resources, project) - depends_on(resources, starter)
            assert not missing, f"{name}/{starter} can start {project} before {sorted(missing)} exist"
            checked += 1
    assert checked == 6  # the bootstrap's StartBuild and the sample pipeline's five CodeBuild actions


@pytest.mark.parametrize("resource", ["pipeline", "startBuild"])
def test_the_check_sees_a_missing_dependency(system: Synthesized, resource: str) -> None:
    """The same check on a template whose starter lost its dependencies names the missing policy."""
    name = "cicd-pipeline-sample-dev" if resource == "pipeline" else "cicd-foundation-pipeline-dev"
    template = json.loads(json.dumps(system.raw(name)))
    resources = template["Resources"]
    starter, project = starters(template)[0]
    resources[starter]["DependsOn"] = [d for d in resources[starter].get("DependsOn", []) if "Policy" not in d]
    assert role_policies(resources, project) - depends_on(resources, starter)
