"""`make bootstrap/deploy/diff/destroy` check the credentials before anything is synthesized, against moto.

Credentials come from moto's STS (AssumeRole into the account the test stands for), so
`get-caller-identity` answers with that account as AWS would; the stacks are moto's CloudFormation's.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from stacks.preflight import ADMINISTRATOR, cdk_options
from tests.support import ROOT
from tests.toolkit.moto_server import moto_endpoint

PIPELINE, PROD = "111111111111", "333333333333"
NO_CREDENTIALS = (
    f"error: no AWS credentials found: make deploy runs with the pipeline account's credentials ({PIPELINE})"
)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_endpoint() as url:
        yield url


def without_aws(tmp_path: Path) -> dict[str, str]:
    """The environment with no AWS credentials anywhere (files, variables, instance metadata)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    return {
        **env,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def as_account(endpoint: str, tmp_path: Path, account: str) -> dict[str, str]:
    """The environment with credentials of a role in `account` (moto's STS), every call sent to moto."""
    sts = boto3.client(
        "sts", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/deployer", RoleSessionName="preflight")
    credentials = credentials["Credentials"]
    return {
        **without_aws(tmp_path),
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
        "AWS_ENDPOINT_URL": endpoint,
    }


def make(target: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", target, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def preflight(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    venv_python = str(ROOT / ".venv/bin/python")
    return subprocess.run(
        [venv_python, "-m", "stacks.preflight", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def error_lines(run: subprocess.CompletedProcess) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize("target", ["deploy", "diff", "destroy"])
def test_without_credentials_the_command_stops_before_synthesis(tmp_path: Path, target: str) -> None:
    out = tmp_path / "out"
    run = make(target, without_aws(tmp_path), f"CDK_ARGS=-o {out}")
    assert run.returncode != 0
    assert error_lines(run) == [NO_CREDENTIALS.replace("make deploy", f"make {target}")]
    assert not out.exists()  # the CDK CLI never ran: it would have synthesized into `out` first


@pytest.mark.parametrize("target", ["deploy", "diff", "destroy"])
def test_credentials_of_another_account_are_refused_before_synthesis(
    endpoint: str, tmp_path: Path, target: str
) -> None:
    out = tmp_path / "out"
    run = make(target, as_account(endpoint, tmp_path, PROD), f"CDK_ARGS=-o {out}")
    assert run.returncode != 0
    (line,) = error_lines(run)
    assert line == (
        f"error: the credentials are account {PROD} (arn:aws:sts::{PROD}:assumed-role/deployer/preflight), "
        f"not the pipeline account {PIPELINE} (cicd:pipelineAccount): "
        f"make {target} works on every stack from the pipeline account"
    )
    assert not out.exists()


def test_the_pipeline_account_given_with_c_is_the_one_checked(endpoint: str, tmp_path: Path) -> None:
    run = preflight(as_account(endpoint, tmp_path, PROD), "diff", "--", "-c", f"cicd:pipelineAccount={PROD}")
    assert run.returncode == 0, run.stderr
    assert (
        run.stderr.strip()
        == f"preflight: account {PROD} (arn:aws:sts::{PROD}:assumed-role/deployer/preflight), the pipeline account"
    )


def test_a_first_deploy_needs_no_approval_a_later_one_shows_security_changes(endpoint: str, tmp_path: Path) -> None:
    env = as_account(endpoint, tmp_path, PIPELINE)
    first = preflight(env, "deploy")
    assert (first.returncode, first.stdout.strip()) == (0, "--require-approval never")
    assert "a first deploy: --require-approval never" in first.stderr
    session = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
        region_name="us-east-1",
    )
    cloudformation = session.client("cloudformation", endpoint_url=endpoint)
    body = '{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}'
    cloudformation.create_stack(StackName="cicd-foundation-pipeline-dev", TemplateBody=body)
    try:
        later = preflight(env, "deploy")
        assert (later.returncode, later.stdout.strip()) == (0, "--require-approval broadening")
        assert "the system exists: --require-approval broadening" in later.stderr
        given = preflight(env, "deploy", "--require-approval", "never")
        assert given.stdout.strip() == "--require-approval never" and "given" in given.stderr
        other_copy = preflight(env, "deploy", "--", "-c", "environmentSuffix=pr42")
        assert other_copy.stdout.strip() == "--require-approval never"
    finally:
        cloudformation.delete_stack(StackName="cicd-foundation-pipeline-dev")
    bad = preflight(env, "deploy", "--require-approval", "sometimes")
    assert (bad.returncode, error_lines(bad)) == (
        2,
        ['error: invalid configuration: REQUIRE_APPROVAL="sometimes": expected one of never, any-change, broadening'],
    )


def test_bad_configuration_is_refused_before_asking_aws(tmp_path: Path) -> None:
    run = preflight(without_aws(tmp_path), "deploy", "--", "-c", "environmentsufix=pr42")
    assert run.returncode == 2
    assert error_lines(run) == [
        'error: invalid configuration: environmentsufix="pr42": expected a key this project reads '
        "(did you mean environmentSuffix?)"
    ]


def test_bootstrap_trusts_the_pipeline_account_from_each_target(endpoint: str, tmp_path: Path) -> None:
    prod = preflight(as_account(endpoint, tmp_path, PROD), "bootstrap")
    assert prod.stdout.split() == [
        f"aws://{PROD}/us-east-1",
        "--trust",
        PIPELINE,
        "--cloudformation-execution-policies",
        ADMINISTRATOR,
    ]
    # cdk.json's pipeline account is also the dev account: it trusts itself for the dev stacks
    pipeline = preflight(
        as_account(endpoint, tmp_path, PIPELINE),
        "bootstrap",
        "--execution-policy",
        "arn:aws:iam::111111111111:policy/deploy",
    )
    assert pipeline.stdout.split()[:3] == [f"aws://{PIPELINE}/us-east-1", "--trust", PIPELINE]
    assert "(pipeline, dev)" in pipeline.stderr
    stranger = preflight(as_account(endpoint, tmp_path, "999999999999"), "bootstrap")
    assert stranger.returncode == 1
    assert error_lines(stranger) == [
        "error: the credentials are account 999999999999 (arn:aws:sts::999999999999:assumed-role/deployer/preflight), "
        f"none of this system's accounts (pipeline {PIPELINE}, dev {PIPELINE}, staging 222222222222, prod {PROD})"
    ]


def test_the_cdk_arguments_context_and_profile_are_read_as_the_cli_reads_them() -> None:
    args = ["-c", "a=1", "--context", "b=x=y", "--context=c=[1]", "--profile", "ops", "-o", "out"]
    assert cdk_options(args) == ({"a": "1", "b": "x=y", "c": "[1]"}, "ops")
    assert cdk_options(["--profile=dev"]) == ({}, "dev")
