"""One small app that plants, for every rule, a compliant case and a violation through each route.

Routes: an L2 property, an L1 property, `add_property_override`, `add_override`, a raw
`CfnResource`, `CfnInclude`, a nested stack and a stack inside a Stage. Construct IDs are
`<rule>-<route>` so a test can find each case's verdict by its construct path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import cloudformation_include as cfn_inc
from constructs import Construct

from compliance_gate.aspects import GateRun, apply_gate
from tests.support import context

SUFFIX = "dev"
ACCOUNT = "111111111111"
FOREIGN = "999999999999"
ENV = cdk.Environment(account=ACCOUNT, region="us-east-1")
ROUTES = ("l2", "l1", "property_override", "add_override", "raw", "include", "nested", "stage")

Build = Callable[[Construct, str], Construct]


def name(case_id: str) -> str:
    return f"{case_id.lower().replace('_', '-')}-test-{SUFFIX}"


@dataclass(frozen=True)
class RuleCase:
    """How to build, for one rule, a compliant resource and a violation through each route."""

    rule_id: str
    good: Build
    bad_l2: Build
    bad_l1: Build
    break_property: Callable[[cdk.CfnResource], None]
    break_override: Callable[[cdk.CfnResource], None]
    bad_cfn: Callable[[str], dict[str, Any]]
    """A violating resource as it would appear in a template (Type, Properties, policies)."""
    routes: tuple[str, ...] = ROUTES


def _default_child(construct: Construct) -> cdk.CfnResource:
    return construct if isinstance(construct, cdk.CfnResource) else construct.node.default_child


# --- CMP001 destroyable: log groups ---------------------------------------------------------


def _log_group(scope: Construct, cid: str, **kwargs: Any) -> logs.LogGroup:
    return logs.LogGroup(scope, cid, log_group_name=name(cid), retention=logs.RetentionDays.ONE_WEEK, **kwargs)


def _retained_l1(scope: Construct, cid: str) -> cdk.CfnResource:
    return logs.CfnLogGroup(scope, cid, log_group_name=name(cid), deletion_protection_enabled=True)


DESTROYABLE = RuleCase(
    rule_id="CMP001",
    good=lambda scope, cid: _log_group(scope, cid, removal_policy=cdk.RemovalPolicy.DESTROY),
    bad_l2=lambda scope, cid: _log_group(scope, cid),  # LogGroup's default removal policy is RETAIN
    bad_l1=_retained_l1,
    break_property=lambda cfn: cfn.add_property_override("DeletionProtectionEnabled", True),
    break_override=lambda cfn: cfn.add_override("DeletionPolicy", "RetainExceptOnCreate"),
    bad_cfn=lambda cid: {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {"LogGroupName": name(cid)},
    },
)

# --- CMP002 SSE-S3 and CMP003 lifecycle: buckets --------------------------------------------


def _bucket(scope: Construct, cid: str, **kwargs: Any) -> s3.Bucket:
    options = {
        "encryption": s3.BucketEncryption.S3_MANAGED,
        "removal_policy": cdk.RemovalPolicy.DESTROY,
        "auto_delete_objects": True,  # CloudFormation cannot delete a bucket holding objects (CMP001)
        **kwargs,
    }
    return s3.Bucket(scope, cid, bucket_name=name(cid), **options)


SSE = "BucketEncryption.ServerSideEncryptionConfiguration.0.ServerSideEncryptionByDefault.SSEAlgorithm"

SSE_S3 = RuleCase(
    rule_id="CMP002",
    good=_bucket,
    bad_l2=lambda scope, cid: _bucket(scope, cid, encryption=s3.BucketEncryption.KMS_MANAGED),
    bad_l1=lambda scope, cid: s3.CfnBucket(scope, cid, bucket_name=name(cid)),
    break_property=lambda cfn: cfn.add_property_override(SSE, "aws:kms"),
    break_override=lambda cfn: cfn.add_override(
        "Properties.BucketEncryption.ServerSideEncryptionConfiguration",
        [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse"}}],
    ),
    bad_cfn=lambda cid: {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": name(cid)}},
)

_EXPIRY = s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(90))

LIFECYCLE = RuleCase(
    rule_id="CMP003",
    good=lambda scope, cid: _bucket(scope, cid, versioned=True, lifecycle_rules=[_EXPIRY]),
    bad_l2=lambda scope, cid: _bucket(scope, cid, versioned=True),
    bad_l1=lambda scope, cid: s3.CfnBucket(
        scope,
        cid,
        bucket_name=name(cid),
        versioning_configuration=s3.CfnBucket.VersioningConfigurationProperty(status="Enabled"),
        lifecycle_configuration=s3.CfnBucket.LifecycleConfigurationProperty(
            rules=[
                s3.CfnBucket.RuleProperty(
                    status="Enabled",
                    noncurrent_version_expiration=s3.CfnBucket.NoncurrentVersionExpirationProperty(noncurrent_days=30),
                )
            ]
        ),
    ),
    break_property=lambda cfn: cfn.add_property_override(
        "LifecycleConfiguration.Rules.0.NoncurrentVersionExpiration.NoncurrentDays", 365
    ),
    break_override=lambda cfn: cfn.add_override("Properties.LifecycleConfiguration.Rules.0.Status", "Disabled"),
    bad_cfn=lambda cid: {
        "Type": "AWS::S3::Bucket",
        "Properties": {"BucketName": name(cid), "VersioningConfiguration": {"Status": "Enabled"}},
    },
)

# --- CMP004 small compute: CodeBuild projects -----------------------------------------------


def _project(scope: Construct, cid: str, compute: codebuild.ComputeType = codebuild.ComputeType.SMALL) -> Construct:
    role = iam.Role(
        scope,
        f"{cid}-role",
        role_name=name(f"{cid}-role"),
        assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
    )
    return codebuild.Project(
        scope,
        cid,
        project_name=name(cid),
        role=role,
        build_spec=codebuild.BuildSpec.from_object({"version": "0.2", "phases": {"build": {"commands": ["true"]}}}),
        environment=codebuild.BuildEnvironment(compute_type=compute),
    )


def _project_cfn(cid: str, compute: str) -> dict[str, Any]:
    return {
        "Type": "AWS::CodeBuild::Project",
        "Properties": {
            "Name": name(cid),
            "ServiceRole": f"arn:aws:iam::{ACCOUNT}:role/build-role-test-{SUFFIX}",
            "Artifacts": {"Type": "NO_ARTIFACTS"},
            "Source": {"Type": "NO_SOURCE", "BuildSpec": "version: 0.2"},
            "Environment": {
                "Type": "LINUX_CONTAINER",
                "ComputeType": compute,
                "Image": "aws/codebuild/standard:7.0",
            },
        },
    }


def _raw(scope: Construct, cid: str, resource: dict[str, Any]) -> cdk.CfnResource:
    raw = cdk.CfnResource(scope, cid, type=resource["Type"], properties=resource.get("Properties"))
    if "DeletionPolicy" in resource:
        raw.add_override("DeletionPolicy", resource["DeletionPolicy"])
    return raw


SMALL_COMPUTE = RuleCase(
    rule_id="CMP004",
    good=_project,
    bad_l2=lambda scope, cid: _project(scope, cid, codebuild.ComputeType.LARGE),
    bad_l1=lambda scope, cid: codebuild.CfnProject(
        scope,
        cid,
        name=name(cid),
        service_role=f"arn:aws:iam::{ACCOUNT}:role/build-role-test-{SUFFIX}",
        artifacts=codebuild.CfnProject.ArtifactsProperty(type="NO_ARTIFACTS"),
        source=codebuild.CfnProject.SourceProperty(type="NO_SOURCE", build_spec="version: 0.2"),
        environment=codebuild.CfnProject.EnvironmentProperty(
            type="LINUX_CONTAINER", compute_type="BUILD_GENERAL1_MEDIUM", image="aws/codebuild/standard:7.0"
        ),
    ),
    break_property=lambda cfn: cfn.add_property_override("Environment.ComputeType", "BUILD_GENERAL1_2XLARGE"),
    break_override=lambda cfn: cfn.add_override("Properties.Environment.ComputeType", "BUILD_GENERAL1_LARGE"),
    bad_cfn=lambda cid: _project_cfn(cid, "BUILD_GENERAL1_LARGE"),
)

# --- CMP005 naming: SNS topics --------------------------------------------------------------

NAMING = RuleCase(
    rule_id="CMP005",
    good=lambda scope, cid: sns.Topic(scope, cid, topic_name=name(cid)),
    bad_l2=lambda scope, cid: sns.Topic(scope, cid),
    bad_l1=lambda scope, cid: sns.CfnTopic(scope, cid, topic_name="alerts-without-the-suffix"),
    break_property=lambda cfn: cfn.add_property_override("TopicName", f"{'x' * 250}-topic-test-{SUFFIX}"),
    break_override=lambda cfn: cfn.add_deletion_override("Properties.TopicName"),
    bad_cfn=lambda cid: {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "unnamed"}},
)

# --- CMP006 TerminateInstances deny: cross-account roles ------------------------------------

DENY = iam.PolicyDocument(
    statements=[iam.PolicyStatement(effect=iam.Effect.DENY, actions=["ec2:TerminateInstances"], resources=["*"])]
)


def _role(scope: Construct, cid: str, deny: bool = True) -> iam.Role:
    return iam.Role(
        scope,
        cid,
        role_name=name(cid),
        assumed_by=iam.AccountPrincipal(FOREIGN),
        inline_policies={"deny-terminate": DENY} if deny else None,
    )


def _trust(principal: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": principal}}],
    }


TERMINATE_DENY = RuleCase(
    rule_id="CMP006",
    good=_role,
    bad_l2=lambda scope, cid: _role(scope, cid, deny=False),
    bad_l1=lambda scope, cid: iam.CfnRole(
        scope,
        cid,
        role_name=name(cid),
        assume_role_policy_document=_trust("*"),
        policies=[
            iam.CfnRole.PolicyProperty(
                policy_name="allow-read",
                policy_document={
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
                },
            )
        ],
    ),
    break_property=lambda cfn: cfn.add_property_override("Policies.0.PolicyDocument.Statement.0.Effect", "Allow"),
    break_override=lambda cfn: cfn.add_deletion_override("Properties.Policies"),
    bad_cfn=lambda cid: {
        "Type": "AWS::IAM::Role",
        "Properties": {"RoleName": name(cid), "AssumeRolePolicyDocument": _trust(f"arn:aws:iam::{FOREIGN}:root")},
    },
)

# --- CMP008 no hardcoded secrets: Secrets Manager -------------------------------------------


def _secret(scope: Construct, cid: str, value: str | None = None) -> secretsmanager.Secret:
    options: dict[str, Any] = (
        {"secret_string_value": cdk.SecretValue.unsafe_plain_text(value)}
        if value
        else {"generate_secret_string": secretsmanager.SecretStringGenerator()}
    )
    return secretsmanager.Secret(scope, cid, secret_name=name(cid), removal_policy=cdk.RemovalPolicy.DESTROY, **options)


SECRETS = RuleCase(
    rule_id="CMP008",
    good=_secret,
    bad_l2=lambda scope, cid: _secret(scope, cid, value="hunter2-not-a-real-password"),
    bad_l1=lambda scope, cid: secretsmanager.CfnSecret(scope, cid, name=name(cid), secret_string='{"password":"x"}'),
    break_property=lambda cfn: cfn.add_property_override("SecretString", "literal-value"),
    break_override=lambda cfn: cfn.add_override("Properties.SecretString", "another-literal"),
    bad_cfn=lambda cid: {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {"Name": name(cid), "SecretString": "plain"},
    },
)

RESOURCE_CASES = (DESTROYABLE, SSE_S3, LIFECYCLE, SMALL_COMPUTE, NAMING, TERMINATE_DENY, SECRETS)


@dataclass
class GateCases:
    """The synthesized cases app: the gate's run, the CDK validation report and the synth error."""

    run: GateRun
    outdir: Path
    error: str
    validation_report: dict[str, Any] = field(default_factory=dict)

    def stack_result(self, rule_id: str, stack_path: str):
        """The verdict of `rule_id` on the stack itself."""
        (result,) = [
            r for r in self.run.results if r.rule_id == rule_id and r.logical_id == r.stack and r.path == stack_path
        ]
        return result

    def results(self, rule_id: str, marker: str) -> list:
        """Verdicts of `rule_id` on resources whose construct path contains the case's `marker` segment."""
        return [
            result
            for result in self.run.results
            if result.rule_id == rule_id and f"/{marker}" in f"/{result.path or result.stack}/"
        ]


def build_cases(outdir: Path) -> GateCases:
    app = cdk.App(context=context(**{"aws:cdk:enable-path-metadata": True}), outdir=str(outdir / "cdk.out"))
    stack = cdk.Stack(app, f"gate-cases-{SUFFIX}", env=ENV)
    nested = cdk.NestedStack(stack, "nested-cases")
    staged = cdk.Stack(cdk.Stage(app, "staged", env=ENV), f"staged-cases-{SUFFIX}")
    for case in RESOURCE_CASES:
        rid = case.rule_id
        case.good(stack, f"{rid}-good")
        case.bad_l2(stack, f"{rid}-l2")
        case.bad_l1(stack, f"{rid}-l1")
        case.break_property(_default_child(case.good(stack, f"{rid}-property_override")))
        case.break_override(_default_child(case.good(stack, f"{rid}-add_override")))
        _raw(stack, f"{rid}-raw", case.bad_cfn(f"{rid}-raw"))
        template = outdir / f"{rid}-include.json"
        template.write_text(json.dumps({"Resources": {f"{rid}Included": case.bad_cfn(f"{rid}-include")}}))
        cfn_inc.CfnInclude(stack, f"{rid}-include", template_file=str(template))
        case.bad_l2(nested, f"{rid}-nested")
        case.bad_l2(staged, f"{rid}-stage")
    _stack_level_cases(app)
    run = apply_gate(app, suffix=SUFFIX)
    error = ""
    try:
        app.synth()
    except RuntimeError as failure:
        error = str(failure)
    report = outdir / "cdk.out" / "validation-report.json"
    return GateCases(run, outdir / "cdk.out", error, json.loads(report.read_text()) if report.exists() else {})


def _stack_level_cases(app: cdk.App) -> None:
    """Rules on the stack itself: region (CMP007), termination protection (CMP001), stack name (CMP005)."""
    elsewhere = cdk.Environment(account=ACCOUNT, region="eu-west-1")
    stacks = [
        cdk.Stack(app, "CMP007-l2", stack_name=f"region-stack-{SUFFIX}", env=elsewhere),
        cdk.Stack(app, "CMP007-agnostic", stack_name=f"agnostic-stack-{SUFFIX}"),
        cdk.Stack(cdk.Stage(app, "CMP007-stage", env=elsewhere), f"in-stage-{SUFFIX}"),
        cdk.Stack(app, "CMP007-good", stack_name=f"region-good-{SUFFIX}", env=ENV),
        cdk.Stack(
            app, "CMP001-protected", stack_name=f"protected-stack-{SUFFIX}", env=ENV, termination_protection=True
        ),
        cdk.Stack(app, "CMP005-stack", stack_name="stack-without-suffix", env=ENV),
    ]
    for stack in stacks:  # CloudFormation rejects a template without resources
        NAMING.good(stack, f"{stack.node.id}-topic")
