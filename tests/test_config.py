"""Configuration: cdk.json's defaults are valid; each bad input is one clear line and a refusal."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from stacks.config import SUFFIX_MAX, ConfigError, parse_config
from stacks.naming import Names
from tests.support import CDK_CONTEXT, ROOT

DEFAULTS = {key.removeprefix("cicd:"): value for key, value in CDK_CONTEXT.items() if key.startswith("cicd:")}


def parse(suffix="dev", **changes):
    return parse_config({**DEFAULTS, **changes}, suffix)


def test_cdk_json_defaults() -> None:
    config = parse()
    assert config.region == "us-east-1"
    assert config.pipeline_account == config.environment("dev").account
    assert len({env.account for env in config.environments}) == 3
    assert [env.traffic_shifting for env in config.environments] == [
        "AllAtOnce",
        "Linear10PercentEvery1Minutes",
        "Canary10Percent5Minutes",
    ]
    assert config.applications[0].name == "sample"


def test_pipeline_account_defaults_to_dev() -> None:
    without = {k: v for k, v in DEFAULTS.items() if k != "pipelineAccount"}
    assert parse_config({**without, "devAccount": "444444444444"}, "dev").pipeline_account == "444444444444"


def test_single_account_is_allowed() -> None:
    one = {f"{env}Account": "123456789012" for env in ("pipeline", "dev", "staging", "prod")}
    assert parse(**one).single_account


def test_values_from_the_command_line_are_text() -> None:
    config = parse(
        approvalEmails="a@example.com, b@example.com",
        applications='[{"name": "web", "containerPort": "8081"}]',
        environments='{"prod": {"trafficShifting": "Canary10Percent15Minutes"}}',
    )
    assert config.approval_emails == ("a@example.com", "b@example.com")
    assert (config.applications[0].name, config.applications[0].container_port) == ("web", 8081)
    assert config.environment("prod").traffic_shifting == "Canary10Percent15Minutes"


BAD = [
    ({"suffix": ""}, 'environmentSuffix=""'),
    ({"suffix": None}, "environmentSuffix=null"),
    ({"suffix": "PR42"}, "lowercase letters or digits"),
    ({"suffix": "pr-42"}, "lowercase letters or digits"),
    ({"suffix": "a" * (SUFFIX_MAX + 1)}, f"1 to {SUFFIX_MAX}"),
    ({"devAccount": "12345"}, 'cicd:devAccount="12345": expected a 12-digit AWS account ID'),
    ({"prodAccount": "12345678901a"}, "cicd:prodAccount"),
    ({"pipelineAccount": "1234567890123"}, "cicd:pipelineAccount"),
    ({"region": "eu-west-1"}, 'cicd:region="eu-west-1": expected us-east-1'),
    ({"approvalEmails": ["not-an-email"]}, 'cicd:approvalEmails="not-an-email"'),
    ({"alertEmails": []}, "cicd:alertEmails=[]: expected at least one e-mail address"),
    ({"alertEmail": ["x@example.com"]}, 'cicd:alertEmail=["x@example.com"]: expected one of'),
    ({"applications": [{"name": "Bad_Name"}]}, "cicd:applications[0].name"),
    ({"applications": [{"name": "web", "cpu": 300}]}, "cicd:applications[0].cpu=300"),
    ({"applications": [{"name": "web", "cpu": 256, "memory": 4096}]}, "cicd:applications[0].memory=4096"),
    ({"applications": [{"name": "web", "port": 80}]}, "cicd:applications[0].port=80"),
    ({"applications": [{"name": "web"}, {"name": "web"}]}, "unique names"),
    ({"environments": {"qa": {}}}, "cicd:environments.qa"),
    ({"environments": {"prod": {"trafficShifting": "Fast"}}}, 'cicd:environments.prod.trafficShifting="Fast"'),
    ({"source": {"repository": "org/app"}}, "connectionArn, repository and branch together"),
]


@pytest.mark.parametrize(("changes", "message"), BAD)
def test_bad_input_is_one_line_naming_key_value_and_expectation(changes: dict, message: str) -> None:
    suffix = changes.pop("suffix", "dev")
    with pytest.raises(ConfigError) as error:
        parse(suffix, **changes)
    text = str(error.value)
    assert message in text and "expected" in text and "\n" not in text


def test_names_that_would_break_an_aws_limit_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"environmentSuffix=.*is 34 characters; AWS allows 1 to 32"):
        Names("dev")("alb-" + "x" * 18, "staging", "AWS::ElasticLoadBalancingV2::LoadBalancer")


def test_app_exits_non_zero_with_one_line_on_bad_context(tmp_path) -> None:
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"environmentSuffix": "Bad!"}), "CDK_OUTDIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line and not line.startswith("b'")]
    assert lines == [
        'error: invalid configuration: environmentSuffix="Bad!": expected 1 to 8 lowercase letters or digits'
    ]
