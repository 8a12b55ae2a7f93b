"""IAM policy statements of a template: identity policies, by role or by resource."""

from __future__ import annotations

from typing import Any


def policy_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of every identity policy in `template`: roles' inline policies and IAM::Policy."""
    return [statement for _, statement in policy_statements_by_resource(template)]


def policy_statements_by_resource(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(construct path of the role or policy, statement) of every identity policy statement in `template`."""
    statements = []
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            documents = [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
        elif resource["Type"] == "AWS::IAM::Policy":
            documents = [properties["PolicyDocument"]]
        else:
            continue
        path = resource.get("Metadata", {}).get("aws:cdk:path", "")
        statements += [(path, statement) for document in documents for statement in document["Statement"]]
    return statements


def inline_statements(role: dict[str, Any], policy_name: str) -> list[dict[str, Any]]:
    policies = [policy for policy in role.get("Policies", []) if policy["PolicyName"] == policy_name]
    assert len(policies) == 1, f"expected one inline policy {policy_name}"
    return policies[0]["PolicyDocument"]["Statement"]


def role_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    """Every statement the role `role_id` gets: its inline policies and the IAM::Policy resources attached to it."""
    resources = template["Resources"]
    inline = [p["PolicyDocument"] for p in resources[role_id]["Properties"].get("Policies", [])]
    attached = [
        body["Properties"]["PolicyDocument"]
        for body in resources.values()
        if body["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in body["Properties"].get("Roles", [])
    ]
    return [statement for document in inline + attached for statement in document["Statement"]]
