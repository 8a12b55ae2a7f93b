"""Issue 22, defect 3: every documented configuration change deploys on a service the pipeline has
already deployed.

ECS refuses UpdateService for a CODE_DEPLOY service except for the desired count, deployment
configuration, health check grace period, placement, managed tags and tag propagation ("If the network
configuration, platform version, task definition, or load balancer need to be updated, create a new
CodeDeploy deployment": UpdateService, ECS API Reference). CloudFormation calls UpdateService when a
service's properties change, and a property changes also when it refers to a resource CloudFormation
replaces, which happens when a create-only property of that resource changes (its resource schema's
`createOnlyProperties`). So the rule, applied to the templates before and after each change: the
service's own changed properties are all updatable, and nothing it refers to is replaced.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import cfnlint
import pytest

from tests.support import CDK_CONTEXT, Synthesized, synthesize_system

UPDATABLE = {
    "DesiredCount",
    "DeploymentConfiguration",
    "HealthCheckGracePeriodSeconds",
    "PlacementConstraints",
    "PlacementStrategies",
    "EnableECSManagedTags",
    "PropagateTags",
}
"""What UpdateService may change on a CODE_DEPLOY service."""
SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"


@cache
def create_only(resource_type: str) -> frozenset[str]:
    """Top-level properties whose change makes CloudFormation replace a resource of this type."""
    index = json.loads((SCHEMAS / "providers" / "us-east-1.json").read_text())
    schema = json.loads((SCHEMAS / "resources" / f"{index[resource_type]}.json").read_text())
    return frozenset(pointer.split("/")[2] for pointer in schema.get("createOnlyProperties", []))


def references(value: Any) -> set[str]:
    text = json.dumps(value)
    return set(re.findall(r'"Ref": "([A-Za-z0-9]+)"', text)) | set(
        re.findall(r'"Fn::GetAtt": \["([A-Za-z0-9]+)"', text)
    )


def replaced(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[str]]:
    """Resources CloudFormation replaces going from `before` to `after`, with the properties that force it."""
    found = {}
    for logical_id, resource in after["Resources"].items():
        old = before["Resources"].get(logical_id)
        if old is None or old["Type"] != resource["Type"]:
            found[logical_id] = ["(new logical ID)"]
            continue
        new_properties, old_properties = resource.get("Properties", {}), old.get("Properties", {})
        forcing = [
            name for name in create_only(resource["Type"]) if new_properties.get(name) != old_properties.get(name)
        ]
        if forcing:
            found[logical_id] = forcing
    return found


def service_updates(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Why CloudFormation would call UpdateService on a CODE_DEPLOY service in ways ECS refuses."""
    problems = []
    replacements = replaced(before, after)
    for logical_id, resource in after["Resources"].items():
        if resource["Type"] != "AWS::ECS::Service":
            continue
        new, old = resource["Properties"], before["Resources"][logical_id]["Properties"]
        assert new["DeploymentController"] == {"Type": "CODE_DEPLOY"}
        changed = {name for name in new.keys() | old.keys() if new.get(name) != old.get(name)}
        problems += [f"{logical_id}.{name} changes" for name in sorted(changed - UPDATABLE)]
        for name, value in new.items():
            for target in sorted(references(value) & replacements.keys()):
                if name not in UPDATABLE:
                    problems.append(f"{logical_id}.{name} refers to {target}, replaced by {replacements[target]}")
    return problems


def changed_application(**changes: Any) -> dict[str, Any]:
    (application,) = CDK_CONTEXT["cicd:applications"]
    return {"cicd:applications": [{**application, **changes}]}


CHANGES = {
    "cpu and memory": {"cpu": 1024, "memory": 2048},
    "container port": {"containerPort": 9000},
    "health check path": {"healthCheckPath": "/ready"},
    "desired count": {"desiredCount": 3},
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_configuration_change_never_updates_what_ecs_refuses(
    system: Synthesized, tmp_path: Path, change: str
) -> None:
    after = synthesize_system(tmp_path, **changed_application(**CHANGES[change]))
    assert not after.error
    for name in system.stack_names:
        if name.startswith(("cicd-dev-sample", "cicd-staging-sample", "cicd-prod-sample")):
            assert service_updates(system.raw(name), after.raw(name)) == [], name


def test_a_new_placeholder_image_never_updates_what_ecs_refuses(
    system: Synthesized, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stacks.environment import service

    monkeypatch.setattr(service, "PLACEHOLDER", service.PLACEHOLDER.__class__(tag="placeholder-python-3.14-alpine"))
    after = synthesize_system(tmp_path)
    assert not after.error
    name = "cicd-prod-sample-dev"
    assert replaced(system.raw(name), after.raw(name)), "the placeholder's task definition is replaced"
    assert service_updates(system.raw(name), after.raw(name)) == []


def test_the_rule_sees_a_service_update_ecs_refuses(system: Synthesized) -> None:
    """The check itself: a service naming its task definition by ARN, whose task definition is replaced."""
    before = json.loads(json.dumps(system.raw("cicd-prod-sample-dev")))
    (service_id,) = [k for k, r in before["Resources"].items() if r["Type"] == "AWS::ECS::Service"]
    (task_id,) = [k for k, r in before["Resources"].items() if r["Type"] == "AWS::ECS::TaskDefinition"]
    before["Resources"][service_id]["Properties"]["TaskDefinition"] = {"Ref": task_id}
    after = json.loads(json.dumps(before))
    after["Resources"][task_id]["Properties"]["Cpu"] = "1024"
    assert service_updates(before, after) == [f"{service_id}.TaskDefinition refers to {task_id}, replaced by ['Cpu']"]
