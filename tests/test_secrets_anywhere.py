"""CMP008 finds secrets anywhere in a template (issue 11, class 4) with detect-secrets' detectors, and
its name heuristics do not fire on names that are not credentials."""

from __future__ import annotations

from typing import Any

import pytest

from compliance_gate.policies.model import STACK_TYPE, Resource, StackContext
from compliance_gate.policies.rules import no_hardcoded_secrets

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
SLACK = "https://hooks.slack.com/services/T00000000/B00000000/" + "X" * 24


def context(**parameters: Any) -> StackContext:
    return StackContext(name="s-dev", suffix="dev", account="111111111111", region="us-east-1", parameters=parameters)


def check(resource_type: str, properties: dict[str, Any]) -> list[str]:
    return no_hardcoded_secrets.check(Resource("R", resource_type, properties), context())


@pytest.mark.parametrize(
    ("resource_type", "properties", "problem"),
    [
        (
            "AWS::CodeBuild::Project",
            {
                "Source": {
                    "BuildSpec": f"version: 0.2\nphases:\n  build:\n    commands:\n      - export KEY={AWS_KEY}\n"
                }
            },
            "Source.BuildSpec holds what detect-secrets recognises as a AWS Access Key",
        ),
        (
            "AWS::CodePipeline::Pipeline",
            {"Stages": [{"Actions": [{"Configuration": {"OAuthToken": GITHUB}}]}]},
            "Stages[0].Actions[0].Configuration.OAuthToken holds what detect-secrets recognises as a GitHub Token",
        ),
        (
            "AWS::SSM::Parameter",
            {"Type": "String", "Value": SLACK},
            "Value holds what detect-secrets recognises as a Slack Token",
        ),
        ("AWS::IAM::User", {"LoginProfile": {"Password": "Winter2026!"}}, "LoginProfile.Password is a literal value"),
        (
            "AWS::CodeBuild::SourceCredential",
            {"AuthType": "PERSONAL_ACCESS_TOKEN", "ServerType": "GITHUB", "Token": "abc"},
            "Token is a literal value",
        ),
    ],
)
def test_a_secret_anywhere_fails(resource_type: str, properties: dict, problem: str) -> None:
    assert problem in check(resource_type, properties)


def test_a_parameter_default_that_is_a_secret_fails() -> None:
    stack = context(
        GitToken={"Type": "String", "Default": GITHUB}, DbPassword={"Type": "String", "NoEcho": True, "Default": "x"}
    )
    pseudo = Resource("s-dev", STACK_TYPE, {})
    assert no_hardcoded_secrets.check(pseudo, stack) == [
        "parameter GitToken has a default detect-secrets recognises as a GitHub Token",
        "parameter DbPassword is a secret (NoEcho or named like one) with a default written in the template",
    ]


@pytest.mark.parametrize("name", ["DOCKER_CREDENTIAL_HELPER", "TOKEN_FILE", "PASSWORD_LENGTH", "SECRET_ARN"])
def test_names_of_mechanisms_are_not_credentials(name: str) -> None:
    project = {"Environment": {"EnvironmentVariables": [{"Name": name, "Value": "ecr-login"}]}}
    assert check("AWS::CodeBuild::Project", project) == []


def test_a_credential_named_variable_with_a_literal_value_fails() -> None:
    project = {"Environment": {"EnvironmentVariables": [{"Name": "DB_PASSWORD", "Value": "hunter2"}]}}
    assert check("AWS::CodeBuild::Project", project) == [
        "Environment.EnvironmentVariables[0] (DB_PASSWORD) is a plaintext variable named like a credential"
    ]


def test_digests_and_embedded_scripts_are_no_secrets() -> None:
    digest = "sha256:bc1fe18224dbcb92599139db0c745696c48ba9fd4ac24038d1fa81fdd7dcac27"
    script = "echo " + "QUJD" * 40 + "Cg== | base64 -d > /tmp/x"
    assert check("AWS::CodeBuild::Project", {"Source": {"BuildSpec": f"{digest}\n{script}"}}) == []
