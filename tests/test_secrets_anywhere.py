"""CMP008 finds secrets anywhere in a template (issue 11, class 4) with detect-secrets' detectors, and
its name heuristics do not fire on names that are not credentials."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance_gate.policies import secret_patterns
from compliance_gate.policies.model import STACK_TYPE, Resource, StackContext
from compliance_gate.policies.rules import no_hardcoded_secrets

ROOT = Path(__file__).resolve().parent.parent

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
        (
            "AWS::CodeBuild::Project",
            {"Source": {"BuildSpec": {"Fn::Join": ["", ["export KEY=", {"Ref": "AWS::Region"}, AWS_KEY]]}}},
            "Source.BuildSpec.Fn::Join[1][2] holds what detect-secrets recognises as a AWS Access Key",
        ),
        (
            "AWS::Lambda::Function",
            {"Environment": {"Variables": {"HOOK": {"Fn::Join": ["", [[SLACK]]]}}}},
            "Environment.Variables.HOOK.Fn::Join[1][0][0] holds what detect-secrets recognises as a Slack Token",
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


def test_the_prefilter_patterns_are_those_detect_secrets_ships() -> None:
    assert json.loads(secret_patterns.GENERATED.read_text()) == secret_patterns.generate(), (
        "stale: run `python -m policies.secret_patterns`"
    )


def test_another_detect_secrets_version_is_read_from_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secret_patterns, "version", lambda distribution: "0.0.0")
    secret_patterns.prefilter.cache_clear()
    try:
        generated = [(p.pattern, p.flags, needles) for p, needles in secret_patterns.prefilter()]
    finally:
        secret_patterns.prefilter.cache_clear()
    expected = secret_patterns.generate()["patterns"]
    assert generated == [(p, f | re.MULTILINE, n and frozenset(n)) for p, f, n in expected]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.parametrize("index", range(len(secret_patterns.prefilter())))
def test_every_text_a_pattern_matches_holds_one_of_its_pieces(index: int, data: st.DataObject) -> None:
    """The pieces read from a pattern's syntax tree are in every match hypothesis can make of it,
    whatever the case and the text around it: the prefilter never skips a pattern that would match."""
    pattern, needles = secret_patterns.prefilter()[index]
    text = data.draw(st.from_regex(pattern))
    assert pattern.search(text)
    assert needles is None or any(needle in text.casefold() for needle in needles)
    assert secret_patterns.may_hold_secret(text)


@pytest.mark.parametrize(
    ("pattern", "pieces"),
    [
        (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}", {"kia", "sia"}),  # the parser takes the common A out
        (r"(?:key|token)=(?:\d+-)+x", {"key", "token"}),
        (r"(?:a|)b?", None),
        (r"(?<=x)\w{3}", None),
    ],
)
def test_the_pieces_of_a_pattern(pattern: str, pieces: set[str] | None) -> None:
    assert secret_patterns.required_text(pattern) == (pieces and frozenset(pieces))


@pytest.mark.parametrize(("text", "loaded"), [("an ordinary value of a template", False), (AWS_KEY, True)])
def test_detect_secrets_is_loaded_only_for_a_string_its_patterns_match(text: str, loaded: bool) -> None:
    probe = (
        "import sys\nfrom compliance_gate.policies.rules.no_hardcoded_secrets import detected\n"
        f"print(detected({text!r}), 'detect_secrets' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    kinds = "['AWS Access Key']" if loaded else "[]"
    assert result.stdout.split() == [*kinds.split(), str(loaded)]
