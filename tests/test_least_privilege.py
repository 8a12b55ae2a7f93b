"""No `*` actions anywhere (`*` resources: tests/test_iam_reference.py); managed policies only on CDK's providers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compliance_gate.policies.cfn_values import as_list
from tests.support import Synthesized


def allow_statements(system: Synthesized) -> Iterator[tuple[str, dict[str, Any]]]:
    for stack in system.stack_names:
        for body in system.raw(stack)["Resources"].values():
            properties = body.get("Properties") or {}
            documents = [properties.get("PolicyDocument")] if "Policy" in body["Type"] else []
            documents += [policy.get("PolicyDocument") for policy in properties.get("Policies") or []]
            path = (body.get("Metadata") or {}).get("aws:cdk:path", stack)
            for document in filter(None, documents):
                for statement in as_list(document.get("Statement")):
                    if statement.get("Effect") == "Allow" and body["Type"] != "AWS::S3::BucketPolicy":
                        yield path, statement


def test_no_wildcard_actions(system: Synthesized) -> None:
    wildcards = [
        (path, action)
        for path, statement in allow_statements(system)
        for action in as_list(statement.get("Action"))
        if action == "*" or action.endswith(":*")
    ]
    assert wildcards == []


def test_only_cdk_providers_get_managed_policies(system: Synthesized) -> None:
    for stack in system.stack_names:
        for body in system.raw(stack)["Resources"].values():
            arns = (body.get("Properties") or {}).get("ManagedPolicyArns") or []
            if body["Type"] == "AWS::IAM::Role" and arns:
                path = body["Metadata"]["aws:cdk:path"]
                assert "CustomResourceProvider/Role" in path, path
                assert [
                    str(arn).endswith("service-role/AWSLambdaBasicExecutionRole'}") or "AWSLambdaBasic" in str(arn)
                    for arn in arns
                ] == [True]
