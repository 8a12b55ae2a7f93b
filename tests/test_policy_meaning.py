"""Each rule decides what its policy means, from the source that defines it (issue 20): CloudFormation's
defaults, IAM's evaluation of actions, what an SDK call does, every section of a template."""

from __future__ import annotations

import json

import pytest

from compliance_gate.policies.model import STACK_TYPE, Resource, StackContext
from compliance_gate.policies.rules import (
    destroyable,
    naming,
    no_hardcoded_secrets,
    noncurrent_lifecycle,
    readable,
    region,
    small_compute,
    sse_s3,
    terminate_deny,
)

STACK = StackContext(name="orders-svc-dev", suffix="dev", account="111111111111", region="us-east-1")


def res(resource_type: str, deletion_policy: str | None = None, **properties) -> Resource:
    return Resource("R", resource_type, properties, deletion_policy=deletion_policy, path="s/R")


# CMP001: CloudFormation's defaults and protections in any form


@pytest.mark.parametrize(
    ("resource", "snapshotted"),
    [
        (res("AWS::RDS::DBCluster", Engine="aurora-postgresql"), True),
        (res("AWS::RDS::DBInstance", DBInstanceClass="db.t4g.micro"), True),
        (res("AWS::RDS::DBInstance", DBClusterIdentifier={"Ref": "Cluster"}), False),
        (res("AWS::RDS::DBCluster", "Delete", Engine="aurora-postgresql"), False),
    ],
)
def test_cloudformations_default_snapshot_counts(resource: Resource, snapshotted: bool) -> None:
    problems = destroyable.check(resource, STACK)
    assert ("DeletionPolicy is Snapshot (CloudFormation's default for this resource)" in problems) is snapshotted


@pytest.mark.parametrize(
    ("resource_type", "properties"),
    [
        ("AWS::VerifiedPermissions::PolicyStore", {"DeletionProtection": {"Mode": "ENABLED"}}),
        ("AWS::OpenSearchServerless::Collection", {"DeletionProtection": {"Ref": "ProtectionSetting"}}),
        ("AWS::DynamoDB::GlobalTable", {"Replicas": [{"Region": "us-east-1", "DeletionProtectionEnabled": True}]}),
        ("AWS::SSMIncidents::ReplicationSet", {"DeletionProtected": True}),
    ],
)
def test_protection_switched_on_in_any_form_fails(resource_type: str, properties: dict) -> None:
    assert any(
        problem.startswith(tuple(properties)) for problem in destroyable.check(res(resource_type, **properties), STACK)
    )


def test_protection_objects_switched_off_pass() -> None:
    store = res("AWS::VerifiedPermissions::PolicyStore", DeletionProtection={"Mode": "DISABLED"})
    assert destroyable.check(store, STACK) == []


def policy(*statements: dict) -> Resource:
    return res("AWS::S3::BucketPolicy", Bucket={"Ref": "B"}, PolicyDocument={"Statement": list(statements)})


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Deny", "Principal": "*", "NotAction": ["s3:GetObject", "s3:PutObject"], "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:Del*", "Resource": "*"},
    ],
)
def test_a_resource_policy_denying_deletion_however_written_fails(statement: dict) -> None:
    assert destroyable.check(policy(statement), STACK)


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Deny", "Principal": "*", "NotAction": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "NotAction": "s3:Delete*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": ["s3:GetObject*", "s3:Put*"], "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ],
)
def test_a_deny_that_spares_deletion_passes(statement: dict) -> None:
    assert destroyable.check(policy(statement), STACK) == []


def test_a_key_policy_denying_key_deletion_fails() -> None:
    statement = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}
    key = res("AWS::KMS::Key", "Delete", KeyPolicy={"Statement": [statement]})
    assert destroyable.check(key, STACK) == [
        "KeyPolicy.Statement[0] denies deletion without a condition: CloudFormation's delete is refused too"
    ]


def test_a_backup_vault_a_plan_of_the_stack_fills_fails() -> None:
    plan = {
        "Type": "AWS::Backup::BackupPlan",
        "Properties": {
            "BackupPlan": {
                "BackupPlanName": "daily-dev",
                "BackupPlanRule": [
                    {"RuleName": "daily", "TargetBackupVault": {"Fn::GetAtt": ["Vault", "BackupVaultName"]}}
                ],
            }
        },
    }
    context = StackContext(name="s-dev", suffix="dev", resources={"Plan": plan})
    vault = Resource("Vault", "AWS::Backup::BackupVault", {"BackupVaultName": "vault-dev"})
    assert destroyable.check(vault, context) == [
        "backup plan Plan of this stack stores recovery points in the vault: AWS Backup cannot delete a vault "
        "that holds any, so the stack's deletion fails"
    ]
    assert destroyable.check(Resource("Other", "AWS::Backup::BackupVault", {}), context) == []


def sdk_call(action: str, parameters: dict) -> Resource:
    call = {"service": "CloudWatchLogs", "action": action, "parameters": parameters, "physicalResourceId": {"id": "x"}}
    return res("Custom::AWS", Create=json.dumps(call))


def test_an_sdk_call_is_judged_by_what_it_does() -> None:
    assert (
        destroyable.check(sdk_call("putRetentionPolicy", {"logGroupName": "g-dev", "retentionInDays": 7}), STACK) == []
    )
    locking = sdk_call("putObjectLockConfiguration", {"Bucket": "b-dev"})
    assert destroyable.check(locking, STACK)
    protecting = sdk_call("updateTerminationProtection", {"StackName": "s", "EnableTerminationProtection": True})
    assert destroyable.check(protecting, STACK)


# CMP005: names with references, built from the stack's name, of another resource


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ({"Fn::Join": ["-", ["orders", {"Ref": "AWS::StackName"}]]}, True),
        ({"Fn::Sub": "queue-${AWS::StackName}"}, True),
        ({"Fn::Join": ["-", ["orders", {"Ref": "AWS::Region"}, "dev"]]}, True),
        ({"Fn::Join": ["-", ["orders", "dev", {"Ref": "AWS::Region"}]]}, False),
        ({"Fn::Join": ["-", ["orders", "queue", {"Fn::GetAtt": ["Other", "Name"]}]]}, False),
        ({"Fn::Sub": "${AWS::StackName}-queue"}, False),
    ],
)
def test_the_suffix_is_the_last_token_also_when_the_name_holds_references(name: dict, ok: bool) -> None:
    assert (naming.check(res("AWS::SQS::Queue", QueueName=name), STACK) == []) is ok


def test_a_name_that_is_another_resource_of_the_stack_is_judged_there() -> None:
    context = StackContext(name="s-dev", suffix="dev", resources={"Guardrail": {"Type": "AWS::Bedrock::Guardrail"}})
    version = res("AWS::Bedrock::GuardrailVersion", GuardrailIdentifier={"Ref": "Guardrail"})
    assert naming.check(version, context) == []


@pytest.mark.parametrize(
    ("resource_type", "prop"),
    [
        ("AWS::RDS::DBCluster", "DBClusterIdentifier"),
        ("AWS::Lambda::LayerVersion", "LayerName"),
        ("AWS::DynamoDB::GlobalTable", "TableName"),
        ("AWS::ElastiCache::ReplicationGroup", "ReplicationGroupId"),
    ],
)
def test_identifiers_and_names_of_every_kind_are_physical_names(resource_type: str, prop: str) -> None:
    assert naming.check(res(resource_type, **{prop: "orders-store"}), STACK)
    assert naming.check(res(resource_type, **{prop: "orders-store-dev"}), STACK) == []


@pytest.mark.parametrize(
    "path",
    [
        "s/Site/Deploy/Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C/Resource",
        "s/Site/Deploy/AwsCliLayer/Resource",
        "s/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a/Resource",
    ],
)
def test_cdk_internal_resources_are_recognised_whatever_the_case_of_their_ids(path: str) -> None:
    resource = Resource("R", "AWS::Lambda::Function", {}, path=path)
    assert naming.exempt(resource, STACK)


# CMP008: every section, every credential, judged by value


def secrets(resource_type: str, **properties) -> list[str]:
    return no_hardcoded_secrets.check(res(resource_type, **properties), STACK)


@pytest.mark.parametrize(
    ("resource_type", "properties"),
    [
        (
            "AWS::SecretsManager::Secret",
            {"GenerateSecretString": {"SecretStringTemplate": '{"username": "app", "password": "Tr0ub4dor&3"}'}},
        ),
        ("AWS::SecretsManager::Secret", {"SecretString": {"Fn::ToJsonString": {"password": "Tr0ub4dor&3"}}}),
        (
            "AWS::CodeBuild::Project",
            {
                "Source": {
                    "Type": "NO_SOURCE",
                    "BuildSpec": "version: 0.2\nenv:\n  variables:\n    DB_PASSWORD: Tr0ub4dor3\n",
                }
            },
        ),
        (
            "AWS::CodePipeline::Pipeline",
            {
                "Stages": [
                    {
                        "Name": "Build",
                        "Actions": [
                            {
                                "Name": "Build",
                                "Configuration": {
                                    "ProjectName": "p-dev",
                                    "EnvironmentVariables": json.dumps(
                                        [{"name": "DB_PASSWORD", "type": "PLAINTEXT", "value": "Tr0ub4dor3"}]
                                    ),
                                },
                            }
                        ],
                    }
                ]
            },
        ),
        (
            "AWS::CodePipeline::Pipeline",
            {"Stages": [{"Actions": [{"Configuration": {"OAuthToken": "ghp-literal-42"}}]}]},
        ),
        (
            "AWS::Events::Connection",
            {"AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k3y-Literal"}}},
        ),
        ("AWS::RDS::DBCluster", {"MasterUsername": "admin", "MasterUserPassword": "Tr0ub4dor3"}),
        (
            "AWS::ECS::TaskDefinition",
            {"ContainerDefinitions": [{"Environment": [{"Name": "DB_PWD", "Value": "Tr0ub4dor3"}]}]},
        ),
        ("AWS::Lambda::Function", {"Environment": {"Variables": {"SMTP_PASS": "Tr0ub4dor3"}}}),
        (
            "AWS::SSM::Document",
            {"Content": {"mainSteps": [{"inputs": {"runCommand": ["db_password = 'Tr0ub4dor3'"]}}]}},
        ),
        (
            "AWS::CodeBuild::Project",
            {"Source": {"BuildSpec": "docker login -u bot -p Tr0ub4dor3 registry.example.com"}},
        ),
    ],
)
def test_a_literal_credential_anywhere_in_a_resource_fails(resource_type: str, properties: dict) -> None:
    assert secrets(resource_type, **properties)


@pytest.mark.parametrize(
    ("resource_type", "properties"),
    [
        (
            "AWS::Events::Connection",
            {
                "AuthParameters": {
                    "ApiKeyAuthParameters": {
                        "ApiKeyName": "x-api-key",
                        "ApiKeyValue": "{{resolve:secretsmanager:api-dev:SecretString:key}}",
                    }
                }
            },
        ),
        (
            "AWS::Lambda::Function",
            {"Environment": {"Variables": {"TOKEN_HEADER": "Authorization", "TOKEN_TTL": "3600s"}}},
        ),
        (
            "AWS::Lambda::Function",
            {"Environment": {"Variables": {"PASSWORD_ENDPOINT": "https://auth.example.com/token"}}},
        ),
        (
            "AWS::Lambda::Function",
            {
                "Environment": {
                    "Variables": {"DB_PASSWORD": "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-dev"}
                }
            },
        ),
        (
            "AWS::Lambda::Function",
            {"Environment": {"Variables": {"API_KEY_HEADER": "X-Api-Key", "SECRET": "${DB_SECRET}"}}},
        ),
        (
            "AWS::CodeBuild::Project",
            {"Source": {"BuildSpec": "aws ecr get-login-password | docker login --username AWS --password-stdin x"}},
        ),
        (
            "AWS::CodeBuild::Project",
            {"Source": {"BuildSpec": "mkdir -p reports && python -m pytest -p no:cacheprovider"}},
        ),
        (
            "AWS::SecretsManager::Secret",
            {"GenerateSecretString": {"SecretStringTemplate": '{"username": "app"}', "GenerateStringKey": "password"}},
        ),
    ],
)
def test_values_that_only_name_or_point_at_a_secret_pass(resource_type: str, properties: dict) -> None:
    assert secrets(resource_type, **properties) == []


@pytest.mark.parametrize(
    "sections",
    [
        {"outputs": {"DbPassword": {"Value": "Tr0ub4dor3"}}},
        {"mappings": {"Credentials": {"prod": {"ApiToken": "Tr0ub4dor3"}}}},
        {"metadata": {"Deploy": {"registry_password": "Tr0ub4dor3"}}},
        {"conditions": {"IsAdmin": {"Fn::Equals": [{"Ref": "Pwd"}, "Tr0ub4dor3"]}}},
        {"outputs": {"Url": {"Value": "https://bot:Tr0ub4dor3@registry.example.com"}}},
    ],
)
def test_every_section_of_the_template_is_read(sections: dict) -> None:
    context = StackContext(name="s-dev", suffix="dev", **sections)
    problems = no_hardcoded_secrets.check(Resource("s-dev", STACK_TYPE, {}), context)
    assert problems, sections


# CMP002 / CMP003: every place an S3 product sets encryption or versioning


def call(service: str, action: str, parameters: dict, **extra) -> str:
    return json.dumps({"service": service, "action": action, "parameters": parameters, **extra})


@pytest.mark.parametrize(
    ("resource_type", "properties"),
    [
        ("AWS::S3Vectors::Index", {"EncryptionConfiguration": {"SseType": "aws:kms", "KmsKeyArn": "arn:aws:kms:x"}}),
        (
            "AWS::S3::Bucket",
            {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
                "MetadataConfiguration": {
                    "JournalTableConfiguration": {"EncryptionConfiguration": {"SseAlgorithm": "aws:kms"}}
                },
            },
        ),
        (
            "Custom::AWS",
            {
                "Create": call(
                    "S3",
                    "putBucketEncryption",
                    {
                        "Bucket": "b-dev",
                        "ServerSideEncryptionConfiguration": {
                            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
                        },
                    },
                )
            },
        ),
        (
            "Custom::AWS",
            {
                "Create": {
                    "Fn::Join": [
                        "",
                        [
                            '{"service":"S3Vectors","action":"createIndex","parameters":{"vectorBucketName":"',
                            {"Ref": "Vectors"},
                            '","encryptionConfiguration":{"sseType":"aws:kms"}}}',
                        ],
                    ]
                }
            },
        ),
    ],
)
def test_encryption_other_than_sse_s3_anywhere_an_s3_product_sets_it_fails(
    resource_type: str, properties: dict
) -> None:
    assert sse_s3.check(res(resource_type, **properties), STACK)


@pytest.mark.parametrize(
    "condition",
    [
        {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
        {"ForAnyValue:StringNotLike": {"s3:x-amz-server-side-encryption": "aws:kms*"}},
        {"StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}},
        {"Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "true"}},
    ],
)
def test_a_bucket_policy_forcing_kms_by_any_operator_fails(condition: dict) -> None:
    statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*", "Condition": condition}
    assert sse_s3.check(res("AWS::S3::BucketPolicy", PolicyDocument={"Statement": [statement]}), STACK)


def test_a_bucket_policy_requiring_sse_s3_passes() -> None:
    condition = {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}
    statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*", "Condition": condition}
    assert sse_s3.check(res("AWS::S3::BucketPolicy", PolicyDocument={"Statement": [statement]}), STACK) == []


VERSIONED = {"VersioningConfiguration": {"Status": "Enabled"}}
EXPIRING = {"Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 90}}


@pytest.mark.parametrize(
    "rule", [{**EXPIRING, "Filter": {}}, {**EXPIRING, "Prefix": ""}, {**EXPIRING, "Filter": {"Prefix": ""}}]
)
def test_a_lifecycle_rule_whose_filter_is_empty_covers_the_whole_bucket(rule: dict) -> None:
    bucket = res("AWS::S3::Bucket", **VERSIONED, LifecycleConfiguration={"Rules": [rule]})
    assert noncurrent_lifecycle.check(bucket, STACK) == []


def test_a_lifecycle_rule_narrowed_by_its_filter_does_not() -> None:
    rule = {**EXPIRING, "Filter": {"Prefix": "logs/"}}
    bucket = res("AWS::S3::Bucket", **VERSIONED, LifecycleConfiguration={"Rules": [rule]})
    assert noncurrent_lifecycle.check(bucket, STACK)


def test_versioning_switched_on_by_an_sdk_call_needs_the_90_day_rule() -> None:
    context = StackContext(
        name="s-dev",
        suffix="dev",
        resources={"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "b-dev"}}},
    )
    versioning = {"Bucket": "${Bucket}", "VersioningConfiguration": {"Status": "Enabled"}}
    custom = Resource("Versioning", "Custom::AWS", {"Create": call("S3", "putBucketVersioning", versioning)})
    assert noncurrent_lifecycle.check(custom, context) == [
        "the custom resource's Create call (S3 putBucketVersioning) versions bucket Bucket, which has no enabled "
        "whole-bucket lifecycle rule with NoncurrentVersionExpiration.NoncurrentDays = 90"
    ]
    context.resources["Bucket"]["Properties"]["LifecycleConfiguration"] = {"Rules": [EXPIRING]}
    assert noncurrent_lifecycle.check(custom, context) == []


# CMP004: compute chosen when a build starts


@pytest.mark.parametrize(
    ("resource_type", "properties"),
    [
        (
            "Custom::AWS",
            {
                "Create": call(
                    "CodeBuild", "startBuild", {"projectName": "p-dev", "computeTypeOverride": "BUILD_GENERAL1_LARGE"}
                )
            },
        ),
        (
            "AWS::Events::Rule",
            {
                "Targets": [
                    {
                        "Id": "build",
                        "Arn": "arn:aws:codebuild:us-east-1:1:project/p-dev",
                        "Input": '{"computeTypeOverride": "BUILD_GENERAL1_2XLARGE"}',
                    }
                ]
            },
        ),
        (
            "AWS::StepFunctions::StateMachine",
            {
                "DefinitionString": {
                    "Fn::Join": [
                        "",
                        [
                            '{"States":{"Build":{"Type":"Task","Parameters":{"ProjectName":"',
                            {"Ref": "Project"},
                            '","ComputeTypeOverride":"BUILD_GENERAL1_MEDIUM"}}}}',
                        ],
                    ]
                }
            },
        ),
    ],
)
def test_compute_chosen_when_a_build_starts_is_judged(resource_type: str, properties: dict) -> None:
    assert small_compute.check(res(resource_type, **properties), STACK)


def test_a_small_override_passes() -> None:
    start = call("CodeBuild", "startBuild", {"projectName": "p-dev", "computeTypeOverride": "BUILD_GENERAL1_SMALL"})
    assert small_compute.check(res("Custom::AWS", Create=start), STACK) == []


# CMP007: a region anywhere it can take effect


@pytest.mark.parametrize(
    ("resource_type", "properties"),
    [
        ("AWS::Lambda::Function", {"Environment": {"Variables": {"AWS_DEFAULT_REGION": "eu-west-1"}}}),
        (
            "AWS::ECS::TaskDefinition",
            {"ContainerDefinitions": [{"Environment": [{"Name": "AWS_REGION", "Value": "eu-west-1"}]}]},
        ),
        (
            "AWS::CodeBuild::Project",
            {"Environment": {"EnvironmentVariables": [{"Name": "AWS_REGION", "Value": "ap-south-1"}]}},
        ),
        (
            "AWS::Events::Rule",
            {
                "Targets": [
                    {
                        "Id": "t",
                        "Arn": {"Fn::Join": [":", ["arn:aws:sqs", "eu-west-1", {"Ref": "AWS::AccountId"}, "q"]]},
                    }
                ]
            },
        ),
        (
            "AWS::StepFunctions::StateMachine",
            {
                "DefinitionString": {
                    "Fn::Sub": '{"States":{"A":{"Resource":"arn:aws:lambda:eu-west-1:${AWS::AccountId}:function:f"}}}'
                }
            },
        ),
        (
            "AWS::Lambda::Function",
            {"Environment": {"Variables": {"QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/q"}}},
        ),
        (
            "AWS::SNS::Subscription",
            {"Protocol": "sqs", "Endpoint": "arn:aws:sqs:eu-west-1:111111111111:q", "TopicArn": {"Ref": "T"}},
        ),
        (
            "Custom::AWS",
            {
                "Create": {
                    "Fn::Join": [
                        "",
                        [
                            '{"service":"SSM","action":"putParameter","region":"eu-west-1","parameters":{"Name":"',
                            {"Ref": "P"},
                            '"}}',
                        ],
                    ]
                }
            },
        ),
    ],
)
def test_a_region_anywhere_it_takes_effect_is_judged(resource_type: str, properties: dict) -> None:
    assert region.check(res(resource_type, **properties), STACK)


def test_this_regions_endpoints_and_variables_pass() -> None:
    variables = {"AWS_REGION": "us-east-1", "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q"}
    assert region.check(res("AWS::Lambda::Function", Environment={"Variables": variables}), STACK) == []


# CMP009: everything that deploys a template the gate never sees


@pytest.mark.parametrize(
    ("resource_type", "properties"),
    [
        ("AWS::CloudFormation::StackSet", {"StackSetName": "s-dev", "TemplateURL": "https://example.com/t.json"}),
        ("AWS::CloudFormation::StackSet", {"StackSetName": "s-dev", "TemplateBody": '{"Resources": {}}'}),
        (
            "AWS::ServiceCatalog::CloudFormationProvisionedProduct",
            {"ProductName": "p", "ProvisioningArtifactName": "v1"},
        ),
        (
            "AWS::Serverless::Application",
            {"Location": {"ApplicationId": "arn:aws:serverlessrepo:x", "SemanticVersion": "1"}},
        ),
        (
            "Custom::AWS",
            {"Create": {"Fn::Join": ["", ['{"service":"S3","action":', {"Fn::Select": [0, {"Ref": "A"}]}, "}"]]}},
        ),
    ],
)
def test_what_deploys_a_template_or_a_call_the_gate_cannot_read_is_refused(
    resource_type: str, properties: dict
) -> None:
    assert readable.check(res(resource_type, **properties), STACK)


def test_fn_transform_in_any_section_is_refused() -> None:
    context = StackContext(name="s-dev", suffix="dev", outputs={"O": {"Value": {"Fn::Transform": {"Name": "M"}}}})
    assert readable.check(Resource("s-dev", STACK_TYPE, {}), context) == [
        "Outputs.O.Value is an Fn::Transform (a macro such as AWS::Include): CloudFormation deploys its output, "
        "which the gate cannot read"
    ]


def test_a_nested_stack_with_its_own_transform_and_a_sam_function_open_to_another_account(tmp_path) -> None:
    """Synthesized: the nested template's Transform is refused on the nested stack, and the role the SAM
    translator makes of a function's AssumeRolePolicyDocument is judged (by the plugin, which expands the
    template) and placed on the function."""
    import aws_cdk as cdk
    from aws_cdk import aws_sam as sam

    from compliance_gate import apply_gate

    app = cdk.App(outdir=str(tmp_path))
    run = apply_gate(app, suffix="dev")
    stack = cdk.Stack(app, "sam-stack-dev", env=cdk.Environment(account="111111111111", region="us-east-1"))
    stack.add_transform("AWS::Serverless-2016-10-31")
    trust = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "sts:AssumeRole"}
    sam.CfnFunction(
        stack,
        "Fn",
        function_name="fn-sam-dev",
        runtime="python3.12",
        handler="index.handler",
        inline_code="def handler(event, context): pass",
        assume_role_policy_document={"Version": "2012-10-17", "Statement": [trust]},
    )
    nested = cdk.NestedStack(stack, "Inner")
    nested.template_options.transforms = ["OrdersMacro"]
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    failed = {(r.rule_id, r.path, r.logical_id) for r in run.results if r.status == "fail"}
    assert ("CMP006", "sam-stack-dev/Fn", "FnRole") in failed
    assert ("sam-stack-dev/Inner", "CMP009") in run.annotated  # the Aspect; the translator's role, the plugin
    (transform,) = [r for r in run.results if r.rule_id == "CMP009" and r.status == "fail"]
    assert transform.messages == (
        "the template declares Transform 'OrdersMacro': CloudFormation deploys its output, which the gate cannot read",
    )
    assert not [
        r for r in run.results if r.rule_id == "CMP005" and r.path == "sam-stack-dev/Inner" and r.status == "fail"
    ]


def test_a_buildspecs_secrets_manager_and_parameter_store_sections_name_references() -> None:
    spec = (
        "version: 0.2\nenv:\n  secrets-manager:\n    DB_PASSWORD: db-dev:password\n"
        "  parameter-store:\n    API_TOKEN: /orders/token\n"
    )
    assert secrets("AWS::CodeBuild::Project", Source={"Type": "NO_SOURCE", "BuildSpec": spec}) == []


@pytest.mark.parametrize("resource_type", ["AWS::NeptuneGraph::Graph", "AWS::ECS::Gateway"])
def test_a_protection_the_schema_switches_on_by_default_must_be_switched_off(resource_type: str) -> None:
    """The schema says DeletionProtection is on unless given (a `default`, or its description)."""
    assert destroyable.check(res(resource_type), STACK) == [
        "DeletionProtection is not set, and the resource schema's default switches it on: set it off"
    ]
    assert destroyable.check(res(resource_type, DeletionProtection=False), STACK) == []


# SDK calls judged by what they create


@pytest.mark.parametrize(
    ("parameters", "ok"),
    [({"Bucket": "orders-bucket-dev"}, True), ({"Bucket": "orders-bucket"}, False), ({"Bucket": "${Store}"}, True)],
)
def test_a_name_an_sdk_call_creates_follows_the_convention(parameters: dict, ok: bool) -> None:
    context = StackContext(name="s-dev", suffix="dev", resources={"Store": {"Type": "AWS::S3::Bucket"}})
    custom = Resource("C", "Custom::AWS", {"Create": call("S3", "createBucket", parameters)})
    assert (naming.check(custom, context) == []) is ok


def test_a_role_an_sdk_call_opens_to_another_account_is_refused() -> None:
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "sts:AssumeRole"}]}
    created = call("IAM", "createRole", {"RoleName": "x-role-dev", "AssumeRolePolicyDocument": json.dumps(trust)})
    assert terminate_deny.check(res("Custom::AWS", Create=created), STACK) == [
        "the custom resource's Create call (IAM createRole) lets 222222222222 assume a role outside the template, "
        "where no policy of its stack can deny ec2:TerminateInstances: define the role as an AWS::IAM::Role with "
        "the deny"
    ]
    trust["Statement"][0]["Principal"] = {"Service": "lambda.amazonaws.com"}
    own = call("IAM", "createRole", {"RoleName": "x-role-dev", "AssumeRolePolicyDocument": json.dumps(trust)})
    assert terminate_deny.check(res("Custom::AWS", Create=own), STACK) == []
