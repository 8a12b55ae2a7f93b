"""Values CloudFormation decides at deploy time (issue 11, class 1): every value a resource can take is
judged (each AllowedValue, the Default, each branch of Fn::If), and what cannot be known at synth is
refused with a message that says how to make it decidable. Each case says which enforcement point
caught it: the Aspect (L1 constructs with CfnParameter/CfnCondition, `annotated`) or the validation
plugin (templates brought in with CfnInclude, `results`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import cloudformation_include as cfn_inc

from compliance_gate.aspects import GateRun, apply_gate
from compliance_gate.policies.deploy_time import Undecidable, Unknown, variants
from compliance_gate.policies.evaluation import FAIL, PASS, Evaluator
from compliance_gate.policies.model import Resource, StackContext
from tests.gate_cases import ENV, FOREIGN, SUFFIX
from tests.support import context

LARGE, SMALL = "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_SMALL"


def project(scope: cdk.Stack, cid: str, compute: Any) -> codebuild.CfnProject:
    return codebuild.CfnProject(
        scope,
        cid,
        name=f"{cid.lower()}-project-{SUFFIX}",
        artifacts=codebuild.CfnProject.ArtifactsProperty(type="NO_ARTIFACTS"),
        source=codebuild.CfnProject.SourceProperty(type="NO_SOURCE", build_spec="version: 0.2"),
        service_role="arn:aws:iam::111111111111:role/build",
        environment=codebuild.CfnProject.EnvironmentProperty(
            type="LINUX_CONTAINER", image="aws/codebuild/standard:7.0", compute_type=compute
        ),
    )


INCLUDED = {
    "Parameters": {
        "Env": {"Type": "String", "AllowedValues": ["dev", "prod"], "Default": "dev"},
        "Algorithm": {"Type": "String", "Default": "AES256"},
        "Trusted": {"Type": "String", "AllowedValues": ["111111111111", FOREIGN]},
    },
    "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
    "Resources": {
        "ProtectedInProd": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": f"protected-logs-test-{SUFFIX}",
                "DeletionProtectionEnabled": {"Fn::If": ["IsProd", True, False]},
            },
        },
        "RetainedInProd": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": {"Fn::If": ["IsProd", "Retain", "Delete"]},
            "Properties": {"LogGroupName": f"retained-logs-test-{SUFFIX}"},
        },
        "AlgorithmAtDeploy": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketName": f"algorithm-bucket-test-{SUFFIX}",
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": {"Ref": "Algorithm"}}}
                    ]
                },
            },
        },
        "TrustAsJsonString": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": f"json-trust-role-test-{SUFFIX}",
                "AssumeRolePolicyDocument": {
                    "Fn::Sub": json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"AWS": "arn:aws:iam::${Trusted}:root"},
                                    "Action": "sts:AssumeRole",
                                }
                            ],
                        }
                    )
                },
            },
        },
    },
}


@dataclass
class Synthesized:
    run: GateRun
    error: str

    def plugin(self, logical_id: str, rule_id: str) -> Any:
        (result,) = [r for r in self.run.results if r.logical_id == logical_id and r.rule_id == rule_id]
        return result

    def aspect(self, rule_id: str) -> set[str]:
        return {path for path, rule in self.run.annotated if rule == rule_id}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("deploy-time")
    app = cdk.App(context=context(**{"aws:cdk:enable-path-metadata": True}), outdir=str(outdir / "cdk.out"))
    stack = cdk.Stack(app, f"deploy-time-{SUFFIX}", env=ENV)
    either = cdk.CfnParameter(stack, "Compute", allowed_values=[SMALL, LARGE], default=SMALL)
    only_small = cdk.CfnParameter(stack, "SmallOnly", allowed_values=[SMALL], default=SMALL)
    project(stack, "EitherCompute", either.value_as_string)
    project(stack, "SmallCompute", only_small.value_as_string)
    template = outdir / "included.json"
    template.write_text(json.dumps(INCLUDED))
    cfn_inc.CfnInclude(stack, "Included", template_file=str(template))
    run = apply_gate(app, suffix=SUFFIX)
    try:
        app.synth()
        error = ""
    except RuntimeError as failure:
        error = str(failure)
    return Synthesized(run, error)


def test_the_aspect_judges_each_allowed_value_of_a_cfn_parameter(synthesized: Synthesized) -> None:
    assert synthesized.aspect("CMP004") == {f"deploy-time-{SUFFIX}/EitherCompute"}
    result = synthesized.plugin("EitherCompute", "CMP004")
    assert result.messages == (f"with Compute='{LARGE}': Environment.ComputeType is '{LARGE}', not '{SMALL}'",)
    assert synthesized.plugin("SmallCompute", "CMP004").status == PASS


def test_the_plugin_judges_the_branch_a_condition_selects(synthesized: Synthesized) -> None:
    result = synthesized.plugin("ProtectedInProd", "CMP001")
    assert result.status == FAIL
    assert result.messages == ("with Env='prod', condition IsProd true: DeletionProtectionEnabled is True",)


def test_a_deletion_policy_chosen_at_deploy_time_is_judged_in_each_branch(synthesized: Synthesized) -> None:
    result = synthesized.plugin("RetainedInProd", "CMP001")
    assert result.messages == ("with Env='prod', condition IsProd true: DeletionPolicy is Retain",)


def test_a_parameter_without_allowed_values_fails_closed_where_a_rule_reads_it(synthesized: Synthesized) -> None:
    result = synthesized.plugin("AlgorithmAtDeploy", "CMP002")
    assert result.status == FAIL
    assert result.messages == (
        "with Algorithm given at deploy time: parameter Algorithm is decided at deploy time, so the gate cannot "
        "judge this resource; give Algorithm AllowedValues the gate can judge each of, or pass a literal value "
        "at synth instead",
    )
    assert synthesized.plugin("AlgorithmAtDeploy", "CMP005").status == PASS  # its name does not depend on it


def test_a_policy_document_given_as_a_json_string_is_read(synthesized: Synthesized) -> None:
    result = synthesized.plugin("TrustAsJsonString", "CMP006")
    assert result.messages == (
        f"with Trusted='{FOREIGN}': trust policy admits {FOREIGN} but no inline or attached policy of its stack "
        "has an unconditional Deny of ec2:TerminateInstances on Resource '*'",
    )


def test_synthesis_fails(synthesized: Synthesized) -> None:
    assert "ValidationFailed" in synthesized.error or "compliance gate" in synthesized.error


# --- the engine on its own --------------------------------------------------------------------


def stack(**sections: Any) -> StackContext:
    return StackContext(name=f"s-{SUFFIX}", suffix=SUFFIX, account="111111111111", region="us-east-1", **sections)


def test_unknown_refuses_every_way_of_reading_it() -> None:
    value = Unknown("parameter P", "give P AllowedValues")
    for read in (str, hash, lambda v: v == "x", lambda v: v.lower(), lambda v: "a" in v, lambda v: f"{v}"):
        with pytest.raises(Undecidable):
            read(value)
    assert repr(value) == "<parameter P, decided at deploy time>"


def test_import_and_dynamic_references_are_unknown() -> None:
    resource = Resource(
        "Bucket",
        "AWS::S3::Bucket",
        {"A": {"Fn::ImportValue": "shared-name"}, "B": "{{resolve:ssm:/algo}}"},
    )
    ((_, chosen),) = [(v.label, v.resource) for v in variants(resource, stack())]
    assert repr(chosen.properties["A"]) == "<the import 'shared-name', decided at deploy time>"
    assert repr(chosen.properties["B"]) == "<the dynamic reference {{resolve:ssm:/algo}}, decided at deploy time>"


def test_too_many_combinations_fail_closed() -> None:
    parameters = {f"P{i}": {"Type": "String", "AllowedValues": ["a", "b"]} for i in range(7)}
    resource = Resource("Bucket", "AWS::S3::Bucket", {f"K{i}": {"Ref": f"P{i}"} for i in range(7)})
    (result,) = [r for r in Evaluator().resource(resource, stack(parameters=parameters)) if r.rule_id == "CMP002"]
    assert result.status == FAIL
    assert result.messages[0].startswith("the combination of parameters P0, P1, P2, P3, P4, P5, P6 is decided")


def test_a_secret_parameter_is_not_a_hardcoded_secret_but_its_default_is() -> None:
    parameters = {"Token": {"Type": "String", "NoEcho": True, "Default": "hunter2-default"}}
    secret = Resource("Secret", "AWS::SecretsManager::Secret", {"SecretString": {"Ref": "Token"}})
    (result,) = [r for r in Evaluator().resource(secret, stack(parameters=parameters)) if r.rule_id == "CMP008"]
    assert result.messages == ("with Token='hunter2-default': SecretString is a literal value",)
    without_default = stack(parameters={"Token": {"Type": "String", "NoEcho": True}})
    (result,) = [r for r in Evaluator().resource(secret, without_default) if r.rule_id == "CMP008"]
    assert result.status == PASS
