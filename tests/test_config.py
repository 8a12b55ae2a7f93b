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
    ({"source": {"repository": "org/app"}}, "cicd:source.connectionArn=null: expected connectionArn, repository"),
]
CERTIFICATE = "arn:aws:acm:us-east-1:333333333333:certificate/0a1b2c3d-1111-2222-3333-444455556666"
CONNECTION = "arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-1111-2222-3333-444455556666"
DEPLOY_REFUSES = [
    # certificateArn: the load balancer's listener needs an ACM certificate of its own account and region
    (
        {"environments": {"prod": {"certificateArn": "arn:aws:s3:::my-bucket"}}},
        'cicd:environments.prod.certificateArn="arn:aws:s3:::my-bucket": expected an ACM certificate of the '
        "prod account 333333333333 in us-east-1 (arn:aws:acm:us-east-1:333333333333:certificate/ID)",
    ),
    (
        {"environments": {"prod": {"certificateArn": CERTIFICATE.replace("333333333333", "222222222222")}}},
        "expected an ACM certificate of the prod account 333333333333",
    ),
    (
        {"environments": {"prod": {"certificateArn": CERTIFICATE.replace("us-east-1", "eu-west-1")}}},
        "expected an ACM certificate of the prod account 333333333333 in us-east-1",
    ),
    # connectionArn: a CodeConnections (or CodeStar) connection of the region
    (
        {"source": {"connectionArn": "arn:aws:iam::111111111111:role/x", "repository": "o/r", "branch": "main"}},
        'cicd:source.connectionArn="arn:aws:iam::111111111111:role/x": expected a CodeConnections connection ARN',
    ),
    (
        {"source": {"connectionArn": CONNECTION.replace("us-east-1", "eu-west-1"), "repository": "o/r", "branch": "m"}},
        "expected a CodeConnections connection ARN in us-east-1",
    ),
    # Fargate sizes: the memory error lists what the cpu allows
    (
        {"applications": [{"name": "web", "cpu": 8192, "memory": 8192}]},
        "cicd:applications[0].memory=8192: expected Fargate memory (MiB) for cpu 8192: 16384 to 61440 in steps of 4096",
    ),
    (
        {"applications": [{"name": "web", "cpu": 256, "memory": 4096}]},
        "expected Fargate memory (MiB) for cpu 256: 512, 1024, 1536 or 2048",
    ),
    (
        {"applications": [{"name": "web", "cpu": 32768}]},
        "expected Fargate CPU units, one of 256, 512, 1024, 2048, 4096, 8192 or 16384",
    ),
    # JSON given with -c that does not parse: say so, and where
    (
        {"applications": '[{"name": "web"'},
        'cicd:applications="[{\\"name\\": \\"web\\"": '
        "expected JSON that parses (Expecting ',' delimiter at character 16)",
    ),
    ({"environments": "{prod: {}}"}, "expected JSON that parses (Expecting property name enclosed in double quotes"),
    # near misses
    ({"alertEmail": ["x@example.com"]}, "(did you mean cicd:alertEmails?)"),
    ({"applications": [{"name": "web", "healthcheckPath": "/h"}]}, "(did you mean healthCheckPath?)"),
    # sources: one push, one pipeline
    (
        {
            "source": {"connectionArn": CONNECTION, "repository": "o/r", "branch": "main"},
            "applications": [{"name": "a"}, {"name": "b"}],
        },
        'cicd:applications[1].source="o/r@main:/": expected a repository, branch or folder no other application '
        "watches (a watches o/r@main:/, so one push would start both pipelines)",
    ),
    (
        {
            "source": {"connectionArn": CONNECTION},
            "applications": [
                {"name": "a", "source": {"repository": "o/r", "branch": "main", "folder": "services"}},
                {"name": "b", "source": {"repository": "O/R", "branch": "main", "folder": "services/b"}},
            ],
        },
        "(a watches o/r@main:services, so one push would start both pipelines)",
    ),
    (
        {
            "source": {"connectionArn": CONNECTION},
            "applications": [{"name": "a", "source": {"repository": "o/r", "branch": "main", "folder": "../x"}}],
        },
        'cicd:applications[0].source.folder="../x": expected a folder of the repository like services/orders',
    ),
    (
        {"applications": [{"name": "a", "source": {"folder": "services/a"}}]},
        "cicd:applications[0].source.connectionArn=null: expected connectionArn, repository and branch",
    ),
]


@pytest.mark.parametrize(("changes", "message"), BAD + DEPLOY_REFUSES)
def test_bad_input_is_one_line_naming_key_value_and_expectation(changes: dict, message: str) -> None:
    suffix = changes.pop("suffix", "dev")
    with pytest.raises(ConfigError) as error:
        parse(suffix, **changes)
    text = str(error.value)
    assert message in text and "expected" in text and "\n" not in text


def test_names_that_would_break_an_aws_limit_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"environmentSuffix=.*is 34 characters; AWS allows 1 to 32"):
        Names("dev")("alb-" + "x" * 18, "staging", "AWS::ElasticLoadBalancingV2::LoadBalancer")


def run_app(tmp_path, context: dict, app: str = "app.py") -> list[str]:
    """`python app.py` with `context` as the CLI passes `-c` values: exit 2 and the lines it printed."""
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, app], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    return [line for line in run.stderr.splitlines() if line and not line.startswith("b'")]


def test_app_exits_non_zero_with_one_line_on_bad_context(tmp_path) -> None:
    assert run_app(tmp_path, {"environmentSuffix": "Bad!"}) == [
        'error: invalid configuration: environmentSuffix="Bad!": expected 1 to 8 lowercase letters or digits'
    ]


APP_REFUSES = [
    (
        {"environmentsufix": "pr42"},
        'environmentsufix="pr42": expected a key this project reads (did you mean environmentSuffix?)',
    ),
    ({"EnvironmentSuffix": "pr42"}, "(did you mean environmentSuffix?)"),
    ({"cicd:prodAcount": "444455556666"}, "(did you mean cicd:prodAccount?)"),
    ({"cicd:environments": json.dumps({"prod": {"certificateArn": "arn:aws:s3:::b"}})}, "expected an ACM certificate"),
    (
        {
            "cicd:source": json.dumps(
                {"connectionArn": "arn:aws:iam::111111111111:role/r", "repository": "o/r", "branch": "m"}
            )
        },
        "connection ARN",
    ),
    ({"cicd:applications": '[{"name": "web", "cpu": 8192, "memory": 512}]'}, "for cpu 8192: 16384 to 61440"),
    ({"cicd:applications": '[{"name": "web"'}, "expected JSON that parses (Expecting ',' delimiter at character 16)"),
    (
        {
            "cicd:source": json.dumps({"connectionArn": CONNECTION, "repository": "o/r", "branch": "main"}),
            "cicd:applications": '[{"name": "a"}, {"name": "b"}]',
        },
        "so one push would start both pipelines",
    ),
]


@pytest.mark.parametrize(("context", "message"), APP_REFUSES, ids=[m for _, m in APP_REFUSES])
def test_each_configuration_defect_is_one_line_and_exit_2(tmp_path, context: dict, message: str) -> None:
    (line,) = run_app(tmp_path, context)
    assert line.startswith("error: invalid configuration: ") and message in line


def test_a_malformed_cdk_json_is_one_line_and_exit_2(tmp_path) -> None:
    """app.py reads the cdk.json next to it (the CLI would refuse the file itself first)."""
    broken = (ROOT / "cdk.json").read_text().replace('"dev",', '"dev"', 1)
    (tmp_path / "cdk.json").write_text(broken)
    (tmp_path / "app.py").write_text((ROOT / "app.py").read_text())
    line = broken[: broken.index('"dev"') + 5].count("\n") + 2
    assert run_app(tmp_path / "out", {}, app=str(tmp_path / "app.py")) == [
        f'error: invalid configuration: cdk.json="(the file)": expected JSON that parses '
        f"(Expecting ',' delimiter at line {line} column 5)"
    ]


def test_every_fargate_size_is_accepted() -> None:
    sizes = [(256, 512), (4096, 30720), (8192, 16384), (8192, 61440), (16384, 32768), (16384, 122880)]
    apps = [{"name": f"a{i}", "cpu": cpu, "memory": memory} for i, (cpu, memory) in enumerate(sizes)]
    assert [(a.cpu, a.memory) for a in parse(applications=apps).applications] == sizes


def test_sources_of_their_own_and_the_s3_source_side_by_side() -> None:
    config = parse(
        source={"connectionArn": CONNECTION},
        applications=[
            {"name": "a", "source": {"repository": "o/a", "branch": "main"}},
            {"name": "b", "source": {"repository": "o/mono", "branch": "main", "folder": "services/b"}},
            {"name": "c", "source": {"repository": "o/mono", "branch": "main", "folder": "services/bc"}},
            {"name": "d", "source": {"repository": "o/mono", "branch": "release", "folder": "services/b"}},
            {"name": "e"},
        ],
    )
    watched = {app.name: app.source and app.source.watched for app in config.applications}
    assert watched == {
        "a": "o/a@main:/",
        "b": "o/mono@main:services/b",
        "c": "o/mono@main:services/bc",
        "d": "o/mono@release:services/b",
        "e": None,
    }
    assert config.applications[1].source.connection_arn == CONNECTION


def test_a_shared_repository_still_serves_one_application() -> None:
    (app,) = parse(source={"connectionArn": CONNECTION, "repository": "o/r", "branch": "main"}).applications
    assert app.source.watched == "o/r@main:/"
