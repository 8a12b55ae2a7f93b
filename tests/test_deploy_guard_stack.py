"""The deploy-time guard as the system deploys it: one guard stack per account, first in that account,
its hook's settings from cicd:deployTimeGuard, least-privilege roles, a register only the system's own
deployment writes, and a function asset that holds the rule catalog of policies/ and runs on its own.
Every template the system synthesizes passes its own account's guard."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

import app
from compliance_gate import acknowledge
from compliance_gate.policies.assembly import manifest_templates, read_json, stack_artifact
from stacks.config import AppConfig
from stacks.guard import bundle
from stacks.system import build_system
from tests.guard_support import HookRequests
from tests.support import ROOT, Synthesized, synthesize_system
from tests.toolkit.moto_server import moto_endpoint

sys.path.insert(0, str(ROOT / "stacks" / "guard" / "runtime"))
import handler  # the Lambda function's module, as Lambda loads it

pytestmark = pytest.mark.xdist_group("system")
GUARDS = {
    "111111111111": "cicd-guard-pipeline-dev",
    "222222222222": "cicd-guard-staging-dev",
    "333333333333": "cicd-guard-prod-dev",
}
LEAKY = {
    "Type": "AWS::SSM::Parameter",
    "Properties": {
        "Name": "leaky-parameter-pipeline-dev",
        "Type": "String",
        "Value": "https://hooks.slack.com/services/T00000000/B00000000/" + "X" * 24,
    },
}
"""A parameter holding what detect-secrets recognises as a Slack webhook (CMP008)."""
REASON = "The partner's reader fetches these release notes without access to our KMS keys."


@pytest.fixture(scope="module")
def requests() -> Iterator[HookRequests]:
    with moto_endpoint() as endpoint:
        yield HookRequests(endpoint)


def resources_of(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [body for body in template["Resources"].values() if body["Type"] == kind]


def guard_variables(template: dict[str, Any]) -> dict[str, str]:
    (function,) = resources_of(template, "AWS::Lambda::Function")
    return function["Properties"]["Environment"]["Variables"]


def test_each_account_has_one_guard_and_its_other_stacks_deploy_after_it(system: Synthesized) -> None:
    assert not system.error
    manifest = read_json(system.outdir / "manifest.json")["artifacts"]
    guards = {}
    for name in system.stack_names:
        account = manifest[name]["environment"].split("/")[2]
        if name.startswith("cicd-guard-"):
            guards[account] = name
        else:
            assert GUARDS[account] in manifest[name].get("dependencies", []), name
    assert guards == GUARDS


def test_the_hook_judges_stack_creations_and_updates_but_never_the_bootstrap_stack_or_its_own(
    system: Synthesized,
) -> None:
    for name in GUARDS.values():
        (hook,) = resources_of(system.raw(name), "AWS::CloudFormation::LambdaHook")
        properties = hook["Properties"]
        assert properties["TargetOperations"] == ["STACK"]
        assert properties["TargetFilters"] == {"Actions": ["CREATE", "UPDATE"]}
        assert properties["StackFilters"] == {
            "FilteringCriteria": "ALL",
            "StackNames": {"Exclude": ["CDKToolkit", name]},
        }
        assert (properties["FailureMode"], properties["HookStatus"]) == ("FAIL", "ENABLED")
        assert properties["Alias"] == "Cicd::DeployTimeGuard::Suffixdev"
        assert hook["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize(
    ("setting", "mode", "status", "names"),
    [
        ("warn", "WARN", "ENABLED", {"Exclude": ["CDKToolkit", "cicd-guard-pipeline-dev"]}),
        ("off", "FAIL", "DISABLED", {"Exclude": ["CDKToolkit", "cicd-guard-pipeline-dev"]}),
        (
            {"mode": "fail", "stacks": ["cicd-*"], "excludeStacks": ["cicd-sandbox-*", "MyToolkit"]},
            "FAIL",
            "ENABLED",
            {"Include": ["cicd-*"], "Exclude": ["cicd-sandbox-*", "MyToolkit", "cicd-guard-pipeline-dev"]},
        ),
    ],
)
def test_cicd_deploy_time_guard_sets_the_hooks_mode_and_stack_filter(
    tmp_path: Path, setting: Any, mode: str, status: str, names: dict
) -> None:
    synthesized = synthesize_system(tmp_path, **{"cicd:deployTimeGuard": setting})
    assert not synthesized.error
    (hook,) = resources_of(synthesized.raw("cicd-guard-pipeline-dev"), "AWS::CloudFormation::LambdaHook")
    assert (hook["Properties"]["FailureMode"], hook["Properties"]["HookStatus"]) == (mode, status)
    assert hook["Properties"]["StackFilters"]["StackNames"] == names


def test_its_roles_invoke_the_function_and_write_its_log_nothing_more(system: Synthesized) -> None:
    template = system.raw("cicd-guard-prod-dev")
    roles = {body["Properties"]["RoleName"]: body["Properties"] for body in resources_of(template, "AWS::IAM::Role")}
    assert set(roles) == {"guard-function-role-prod-dev", "guard-hook-role-prod-dev"}
    hook_role = roles["guard-hook-role-prod-dev"]
    (trust,) = hook_role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "hooks.cloudformation.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "333333333333"}}
    statements = [s for policy in hook_role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    function_id = next(k for k, v in template["Resources"].items() if v["Type"] == "AWS::Lambda::Function")
    assert statements == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": {"Fn::GetAtt": [function_id, "Arn"]}}
    ]
    function_role = roles["guard-function-role-prod-dev"]
    statements = [s for policy in function_role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert [s["Action"] for s in statements] == [["logs:CreateLogStream", "logs:PutLogEvents"]]
    assert not resources_of(template, "AWS::IAM::Policy")


def test_every_template_the_system_synthesizes_passes_its_own_accounts_guard(
    system: Synthesized, requests: HookRequests, monkeypatch: pytest.MonkeyPatch
) -> None:
    judged = []
    for template_path in manifest_templates(system.outdir):
        artifact = stack_artifact(template_path)
        name = artifact["properties"].get("stackName", template_path.name.split(".")[0])
        account = artifact["environment"].split("/")[2]
        for key, value in guard_variables(system.raw(GUARDS[account])).items():
            monkeypatch.setenv(key, value)
        request = requests.request(template_path.read_text(), stack=name, account=account)
        response = handler.handler(request)
        assert response["hookStatus"] == "SUCCESS", f"{name}: {response['message']}"
        judged.append(name)
    assert len(judged) == len(system.stack_names) == 12


def _acknowledged_system(app_: cdk.App, config: AppConfig) -> list[cdk.Stack]:
    """The system with two accepted exceptions in the prod account: a bucket encrypted with KMS (CMP002) and
    the environment stack's termination protection (CMP001 on the stack)."""
    stacks = build_system(app_, config)
    environment = next(stack for stack in stacks if stack.stack_name == "cicd-prod-dev")
    notes = s3.Bucket(
        environment,
        "PartnerNotes",
        bucket_name="partner-notes-prod-dev-333333333333",
        encryption=s3.BucketEncryption.KMS_MANAGED,
        removal_policy=cdk.RemovalPolicy.DESTROY,
        auto_delete_objects=True,
    )
    acknowledge(notes, "CMP002", REASON, owner="web-team")
    environment.termination_protection = True
    acknowledge(environment, "CMP001", REASON, owner="platform-team", expires=dt.date(2099, 1, 1))
    return stacks


def test_the_register_holds_the_configured_exceptions_and_each_finding_this_app_accepted_in_that_account(
    tmp_path: Path, requests: HookRequests, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured = {
        "stack": "orders-prod-dev",
        "logicalId": "Uploads",
        "type": "AWS::S3::Bucket",
        "rule": "CMP002",
        "reason": REASON,
        "owner": "orders-team",
        "expires": "2099-01-01",
    }
    outdir = tmp_path / "out"
    app_ = app.new_app(outdir=str(outdir), **{"cicd:deployTimeGuard": {"acknowledgements": [configured]}})
    app.assemble(app_, _acknowledged_system)
    with contextlib.suppress(RuntimeError):  # cdk-nag's findings on the extra bucket: not what is tested
        app_.synth()
    environment = json.loads((outdir / "cicd-prod-dev.template.json").read_text())
    notes = next(
        key
        for key in environment["Resources"]
        if key.startswith("PartnerNotes") and environment["Resources"][key]["Type"] == "AWS::S3::Bucket"
    )
    prod = guard_variables(json.loads((outdir / "cicd-guard-prod-dev.template.json").read_text()))
    assert json.loads(prod["ACKNOWLEDGEMENTS"]) == [
        configured,
        {
            "stack": "cicd-prod-dev",
            "logicalId": notes,
            "type": "AWS::S3::Bucket",
            "rule": "CMP002",
            "reason": REASON,
            "owner": "web-team",
        },
        {
            "stack": "cicd-prod-dev",
            "logicalId": "cicd-prod-dev",
            "type": "AWS::CloudFormation::Stack",
            "rule": "CMP001",
            "reason": REASON,
            "owner": "platform-team",
            "expires": "2099-01-01",
        },
    ]
    staging = guard_variables(json.loads((outdir / "cicd-guard-staging-dev.template.json").read_text()))
    assert json.loads(staging["ACKNOWLEDGEMENTS"]) == [configured]  # configured ones: every account's guard
    for key, value in prod.items():
        monkeypatch.setenv(key, value)
    response = handler.handler(requests.request(environment, stack="cicd-prod-dev", account="333333333333"))
    assert response["hookStatus"] == "SUCCESS", response["message"]
    assert response["message"].endswith("1 finding(s) accepted by the guard's register")
    monkeypatch.setenv("ACKNOWLEDGEMENTS", "[]")
    refused = handler.handler(requests.request(environment, stack="cicd-prod-dev", account="333333333333"))
    assert f"CMP002 {notes} (AWS::S3::Bucket)" in refused["message"]


def test_a_register_beyond_the_functions_environment_limit_is_refused(tmp_path: Path) -> None:
    entry = {
        "stack": "orders-prod-dev",
        "type": "AWS::S3::Bucket",
        "rule": "CMP002",
        "reason": REASON,
        "owner": "orders-team",
    }
    many = [{**entry, "logicalId": f"Uploads{index}"} for index in range(40)]
    synthesized = synthesize_system(tmp_path, **{"cicd:deployTimeGuard": {"acknowledgements": many}})
    assert "the deploy-time guard's register of accepted exceptions for account 111111111111 takes" in synthesized.error
    assert "Lambda allows 4096: accept fewer exceptions" in synthesized.error


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("strict", 'cicd:deployTimeGuard="strict": expected one of fail, warn, off'),
        ({"mode": "warn", "stacks": ["bad name"]}, 'cicd:deployTimeGuard.stacks="bad name": expected stack names'),
        ({"suffix": "Prod"}, 'cicd:deployTimeGuard.suffix="Prod": expected 1 to 8 lowercase letters or digits'),
        ({"region": "eu-west-1"}, 'cicd:deployTimeGuard.region="eu-west-1": expected us-east-1'),
        ({"acknowledgements": [{"rule": "CMP002"}]}, "cicd:deployTimeGuard.acknowledgements[0]="),
        (
            {
                "acknowledgements": [
                    {
                        "stack": "s",
                        "logicalId": "B",
                        "type": "AWS::S3::Bucket",
                        "rule": "CMP002",
                        "reason": "ok",
                        "owner": "x",
                    }
                ]
            },
            "must be at least one sentence of 6 or more words",
        ),
    ],
)
def test_a_bad_guard_setting_is_one_line_and_exit_2(
    setting: Any, expected: str, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = app.cdk_json_context
    monkeypatch.setattr(app, "cdk_json_context", lambda path: {**original(path), "cicd:deployTimeGuard": setting})
    assert app.main(outdir=str(tmp_path)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err


def test_without_its_packages_the_app_says_how_to_install_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    monkeypatch.setattr(bundle, "INSTALLED", tmp_path / "never-installed")
    assert app.main(outdir=str(tmp_path / "out")) == 2
    assert capsys.readouterr().err.strip() == (
        "error: the deploy-time guard's packages are not installed (.cache/guard-packages): run "
        "`make guard-packages` once (every make target that synthesizes does it first)"
    )


def guard_asset(system: Synthesized) -> Path:
    """The function's asset directory, found as the CDK CLI publishes it: by its S3 key in the assets manifest."""
    (function,) = resources_of(system.raw("cicd-guard-pipeline-dev"), "AWS::Lambda::Function")
    key = function["Properties"]["Code"]["S3Key"]
    assets = read_json(system.outdir / "cicd-guard-pipeline-dev.assets.json")["files"].values()
    (path,) = [a["source"]["path"] for a in assets if any(d["objectKey"] == key for d in a["destinations"].values())]
    return system.outdir / path


def test_the_function_asset_is_the_catalog_of_policies_and_its_pinned_dependencies(system: Synthesized) -> None:
    asset = guard_asset(system)
    sources = sorted(
        p.relative_to(ROOT)
        for p in (ROOT / "policies").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and "checkov" not in p.parts
    )
    for source in sources:
        assert (asset / source).read_bytes() == (ROOT / source).read_bytes(), source
    assert (asset / "handler.py").read_bytes() == bundle.HANDLER.read_bytes()
    assert not (asset / "policies" / "checkov").exists()
    pinned = [
        line.split("==")
        for line in bundle.HANDLER.parents[1].joinpath("requirements.txt").read_text().splitlines()
        if "==" in line
    ]
    installed = {p.name.lower().replace("_", "-") for p in asset.glob("*.dist-info")}
    for name, version in pinned:
        assert f"{name.lower().replace('_', '-')}-{version}.dist-info" in installed, name


def test_the_bundled_function_runs_on_its_own_files(system: Synthesized, requests: HookRequests) -> None:
    """The asset's handler in an interpreter that sees only the asset and the standard library (no .venv):
    every import it needs for a judgement is in the asset."""
    asset = guard_asset(system)
    monitoring = system.raw("cicd-monitoring-pipeline-dev")
    compliant = requests.request(monitoring, stack="cicd-monitoring-pipeline-dev", account="111111111111")
    leaky = {**monitoring, "Resources": {**monitoring["Resources"], "Leaky": LEAKY}}
    violating = requests.request(leaky, stack="monitoring", account="111111111111")
    script = (
        "import json, sys\n"
        "sys.path[:] = [p for p in sys.path if 'site-packages' not in p]\n"
        "sys.path.insert(0, '.')\n"
        "import handler\n"
        "for request in json.loads(sys.stdin.read()):\n"
        "    print(json.dumps(handler.handler(request)))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('yaml', 'detect_secrets', 'compliance_gate')))\n"
    )
    environment = {"SUFFIX": "dev", "APPROVED_REGION": "us-east-1", "ACKNOWLEDGEMENTS": "[]", "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        cwd=asset,
        input=json.dumps([compliant, violating]),
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=120,
    )
    *lines, modules = run.stdout.strip().splitlines()
    passed, refused = [line for line in lines if '"hookStatus"' in line]
    assert json.loads(passed)["hookStatus"] == "SUCCESS", passed
    assert json.loads(refused)["errorCode"] == "NonCompliant"
    assert "CMP005 monitoring (AWS::CloudFormation::Stack)" in json.loads(refused)["message"]
    assert "CMP008 Leaky (AWS::SSM::Parameter)" in json.loads(refused)["message"], refused
    assert "detect_secrets" in modules and "yaml" in modules
