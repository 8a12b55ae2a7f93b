"""Template assertions for the pipeline account (issue 3), on cdk.json's default configuration."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

from compliance_gate.policies.cfn_values import as_list
from compliance_gate.policies.evaluation import FAIL
from stacks.foundation import BUILD_IMAGE
from stacks.naming import PIPELINE
from stacks.pipeline import buildspecs
from stacks.pipeline.runtime import deploy
from tests.pipeline_support import SynthesizedPipeline, from_system
from tests.support import Synthesized
from tests.toolkit.iam import role_statements
from tests.toolkit.references import render

ROOT = Path(__file__).resolve().parent.parent
ROLE_ARN = "arn:aws:iam::{account}:role/{name}"


@pytest.fixture(scope="module")
def synth(system: Synthesized) -> SynthesizedPipeline:
    return from_system(system)


@pytest.fixture(scope="module")
def pipeline(synth: SynthesizedPipeline) -> dict[str, Any]:
    (body,) = synth.of_type("AWS::CodePipeline::Pipeline").values()
    return body["Properties"]


def stage(pipeline: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return next(s for s in pipeline["Stages"] if s["Name"] == name)["Actions"]


def project(synth: SynthesizedPipeline, name: str) -> tuple[str, dict[str, Any]]:
    key, body = synth.named("AWS::CodeBuild::Project", "Name", name)
    return key, body["Properties"]


def buildspec(properties: dict[str, Any]) -> dict[str, Any]:
    return json.loads(render(properties["Source"]["BuildSpec"]))


def env_vars(properties: dict[str, Any]) -> dict[str, Any]:
    return {var["Name"]: var["Value"] for var in properties["Environment"].get("EnvironmentVariables", [])}


# --- the pipeline ---------------------------------------------------------------------------------


def test_stacks_are_named_by_convention_in_the_pipeline_account(synth: SynthesizedPipeline) -> None:
    """The shared foundation, and one pipeline stack per application (`cicd-pipeline-<app>-<suffix>`)."""
    assert synth.stack_names == ["cicd-foundation-pipeline-dev", "cicd-pipeline-sample-dev"]
    assert synth.names.application_stack("sample", PIPELINE) == "cicd-pipeline-sample-dev"


def test_one_v2_pipeline_with_exactly_four_stages_in_order(synth: SynthesizedPipeline, pipeline: dict) -> None:
    assert pipeline["Name"] == "sample-pipeline-pipeline-dev"
    assert pipeline["PipelineType"] == "V2"
    assert [s["Name"] for s in pipeline["Stages"]] == ["Source", "Build", "Test", "Deploy"]


def test_deploy_stage_runs_dev_approval_staging_approval_prod(pipeline: dict) -> None:
    actions = sorted(stage(pipeline, "Deploy"), key=lambda action: action["RunOrder"])
    assert [(a["Name"], a["RunOrder"], a["ActionTypeId"]["Provider"]) for a in actions] == [
        ("DeployToDev", 1, "CodeBuild"),
        ("ApproveStaging", 2, "Manual"),
        ("DeployToStaging", 3, "CodeBuild"),
        ("ApproveProd", 4, "Manual"),
        ("DeployToProd", 5, "CodeBuild"),
    ]


def test_approvals_notify_the_approvals_topic_naming_application_commit_and_environment(
    synth: SynthesizedPipeline, pipeline: dict
) -> None:
    synth.shared.named("AWS::SNS::Topic", "TopicName", "approvals-topic-pipeline-dev")
    approvals = [a for a in stage(pipeline, "Deploy") if a["ActionTypeId"]["Category"] == "Approval"]
    assert len(approvals) == 2
    for approval, env in zip(approvals, ("staging", "prod"), strict=True):
        config = approval["Configuration"]
        # The foundation stack's topic, by the ARN its name gives.
        assert config["NotificationArn"] == "arn:aws:sns:us-east-1:111111111111:approvals-topic-pipeline-dev"
        assert "application sample" in config["CustomData"]
        assert "#{Source_Source_NS.VersionId}" in config["CustomData"]  # the commit (S3 object version)
        assert f"to {env};" in config["CustomData"]


def test_approvals_topic_emails_the_configured_approvers_over_tls(synth: SynthesizedPipeline) -> None:
    synth = synth.shared
    topic_key, _ = synth.named("AWS::SNS::Topic", "TopicName", "approvals-topic-pipeline-dev")
    subscriptions = [s["Properties"] for s in synth.of_type("AWS::SNS::Subscription").values()]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [
        ("email", email) for email in synth.config.approval_emails
    ]
    assert all(s["TopicArn"] == {"Ref": topic_key} for s in subscriptions)
    (policy,) = synth.of_type("AWS::SNS::TopicPolicy").values()
    denies = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


def test_source_is_the_versioned_source_bucket_started_by_an_upload_event(
    synth: SynthesizedPipeline, pipeline: dict
) -> None:
    (source,) = stage(pipeline, "Source")
    _, bucket = synth.shared.named("AWS::S3::Bucket", "BucketName", "source-pipeline-dev-111111111111")
    assert source["ActionTypeId"]["Provider"] == "S3"
    assert source["Configuration"] == {
        "S3Bucket": "source-pipeline-dev-111111111111",  # the foundation stack's, by name
        "S3ObjectKey": "sample/source.zip",
        "PollForSourceChanges": False,
    }
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["Properties"]["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
    (rule,) = synth.of_type("AWS::Events::Rule").values()
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"] == {
        "bucket": {"name": ["source-pipeline-dev-111111111111"]},
        "object": {"key": ["sample/source.zip"]},
    }
    (pipeline_key,) = synth.of_type("AWS::CodePipeline::Pipeline")
    assert {"Ref": pipeline_key} in rule["Properties"]["Targets"][0]["Arn"]["Fn::Join"][1]


def test_build_output_feeds_test_and_deploys(pipeline: dict) -> None:
    (build,) = stage(pipeline, "Build")
    (test,) = stage(pipeline, "Test")
    assert build["Name"] == "BuildImage" and build["OutputArtifacts"] == [{"Name": "Build"}]
    assert json.loads(build["Configuration"]["EnvironmentVariables"]) == [
        {"name": "COMMIT_ID", "type": "PLAINTEXT", "value": "#{Source_Source_NS.VersionId}"}
    ]
    image_vars = [
        {"name": "IMAGE_URI", "type": "PLAINTEXT", "value": "#{Build_BuildImage_NS.IMAGE_URI}"},
        {"name": "IMAGE_TAG", "type": "PLAINTEXT", "value": "#{Build_BuildImage_NS.IMAGE_TAG}"},
    ]
    assert json.loads(test["Configuration"]["EnvironmentVariables"]) == image_vars
    for action in stage(pipeline, "Deploy"):
        if action["ActionTypeId"]["Provider"] == "CodeBuild":
            assert action["InputArtifacts"] == [{"Name": "Build"}]
            assert json.loads(action["Configuration"]["EnvironmentVariables"]) == image_vars


# --- CodeBuild projects ---------------------------------------------------------------------------


def test_every_project_is_small_and_runs_on_the_tools_repository_build_image(synth: SynthesizedPipeline) -> None:
    projects = synth.of_type("AWS::CodeBuild::Project")
    assert len(projects) == 5  # build, test, deploy x 3
    for body in projects.values():
        environment = body["Properties"]["Environment"]
        assert environment["ComputeType"] == "BUILD_GENERAL1_SMALL"
        assert environment["ImagePullCredentialsType"] == "SERVICE_ROLE"
        # The foundation stack's tools repository, by name, under the Dockerfile-derived immutable tag.
        assert render(environment["Image"]) == (
            f"111111111111.dkr.ecr.us-east-1.amazonaws.com/tools-ecr-repository-pipeline-dev:{BUILD_IMAGE.tag}"
        )


def test_every_project_caches_in_its_own_prefix_of_the_seven_day_cache_bucket(synth: SynthesizedPipeline) -> None:
    cache = "build-cache-pipeline-dev-111111111111"  # the foundation stack's (tests/test_release_foundation.py)
    expected_paths = {
        "sample-build-pipeline-dev": f"{buildspecs.LAYER_CACHE}/**/*",
        "sample-test-pipeline-dev": f"{buildspecs.PIP_CACHE}/**/*",
        **{f"sample-deploy-{env}-dev": f"{buildspecs.PIP_CACHE}/**/*" for env in ("dev", "staging", "prod")},
    }
    assert len(expected_paths) == len(synth.of_type("AWS::CodeBuild::Project"))
    for name, path in expected_paths.items():
        _, properties = project(synth, name)
        assert properties["Cache"] == {"Type": "S3", "Location": f"{cache}/{name}"}
        assert buildspec(properties)["cache"]["paths"] == [path]
        role_key = properties["ServiceRole"]["Fn::GetAtt"][0]
        object_grants = [
            s
            for s in role_statements(synth.raw, role_key)
            if cache in json.dumps(s["Resource"]) and "s3:PutObject" in as_list(s["Action"])
        ]
        assert [render(r) for s in object_grants for r in as_list(s["Resource"])] == [
            f"arn:aws:s3:::{cache}/{name}/*"
        ], "each project may write only its own cache prefix"


def test_build_pushes_commit_tagged_image_with_registry_credentials_from_secrets_manager(
    synth: SynthesizedPipeline,
) -> None:
    secret = "docker-registry-credentials-pipeline-dev"  # the foundation stack's, by name
    synth.shared.named("AWS::SecretsManager::Secret", "Name", secret)
    repo_key, _ = synth.named("AWS::ECR::Repository", "RepositoryName", "sample-ecr-repository-pipeline-dev")
    _, properties = project(synth, "sample-build-pipeline-dev")
    spec = buildspec(properties)
    assert properties["Environment"]["PrivilegedMode"] is True
    assert spec["env"]["secrets-manager"] == {
        "REGISTRY_SERVER": f"{secret}:registry",
        "REGISTRY_USERNAME": f"{secret}:username",
        "REGISTRY_PASSWORD": f"{secret}:password",
    }
    assert spec["env"]["exported-variables"] == ["IMAGE_URI", "IMAGE_TAG"]
    commands = "\n".join(spec["phases"]["pre_build"]["commands"] + spec["phases"]["build"]["commands"])
    assert '"$COMMIT_ID"' in commands and 'IMAGE_URI="$REPOSITORY_URI:$IMAGE_TAG"' in commands
    assert "--push" in commands and f"--cache-to type=local,dest={buildspecs.LAYER_CACHE}" in commands
    assert spec["artifacts"] == {"files": ["taskdef.json", "appspec.json"], "base-directory": "deploy"}
    assert env_vars(properties)["REPOSITORY_NAME"] == {"Ref": repo_key}
    assert all("PASSWORD" not in name for name in env_vars(properties)), "credentials only through secrets-manager"


def test_test_project_publishes_junit_and_gates_on_critical_scan_findings(synth: SynthesizedPipeline) -> None:
    report_key, report = synth.named("AWS::CodeBuild::ReportGroup", "Name", "sample-test-reports-pipeline-dev")
    assert report["Properties"]["Type"] == "TEST"
    _, properties = project(synth, "sample-test-pipeline-dev")
    spec = buildspec(properties)
    assert spec["reports"] == {
        f"${{GetAtt:{report_key}.Arn}}": {
            "files": ["junit.xml"],
            "base-directory": "reports",
            "file-format": "JUNITXML",
        }
    }
    commands = spec["phases"]["build"]["commands"]
    assert commands[0].startswith("docker run") and '"$IMAGE_URI"' in commands[0] and "--junitxml" in commands[0]
    assert embedded(commands[1]) == (ROOT / "stacks/pipeline/runtime/image_scan.py").read_bytes()
    assert commands[2] == "PYTHONPATH=/tmp/python-deps python3 /tmp/image_scan.py"
    role_key = properties["ServiceRole"]["Fn::GetAtt"][0]
    granted = {action for s in role_statements(synth.raw, role_key) for action in as_list(s["Action"])}
    assert {"ecr:DescribeImages", "ecr:DescribeImageScanFindings"} <= granted


def embedded(command: str) -> bytes:
    """The file an install_script command writes."""
    match = re.fullmatch(
        r"echo (\S+) \| base64 -d > /tmp/(\S+) && echo '([0-9a-f]{64})  /tmp/\2' \| sha256sum -c -", command
    )
    assert match, command
    return base64.b64decode(match.group(1))


# --- deploy projects and the assume-role chain ---------------------------------------------------


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_deploy_project_assumes_only_that_environments_deploy_role_with_external_id(
    synth: SynthesizedPipeline, env_name: str
) -> None:
    names, env = synth.names, synth.config.environment(env_name)
    deploy_role_arn = ROLE_ARN.format(account=env.account, name=names.deploy_role("sample", env_name))
    _, properties = project(synth, f"sample-deploy-{env_name}-dev")
    role_key, role = synth.named("AWS::IAM::Role", "RoleName", names.deploy_project_role("sample", env_name))
    assert properties["ServiceRole"] == {"Fn::GetAtt": [role_key, "Arn"]}
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}}
    ]
    assume = [s for s in role_statements(synth.raw, role_key) if "sts:AssumeRole" in as_list(s["Action"])]
    assert assume == [{"Action": "sts:AssumeRole", "Effect": "Allow", "Resource": deploy_role_arn}]
    variables = env_vars(properties)
    assert variables["DEPLOY_ROLE_ARN"] == deploy_role_arn
    assert variables["EXTERNAL_ID"] == names.external_id(env_name)
    assert variables["CODEDEPLOY_APPLICATION"] == names.codedeploy_application("sample", env_name)
    assert variables["DEPLOYMENT_GROUP"] == names.deployment_group("sample", env_name)
    assert variables["TASK_FAMILY"] == names.task_family("sample", env_name)


def test_deploy_projects_run_the_tested_deploy_script(synth: SynthesizedPipeline) -> None:
    script = (ROOT / "stacks/pipeline/runtime/deploy.py").read_bytes()
    for env_name in ("dev", "staging", "prod"):
        commands = buildspec(project(synth, f"sample-deploy-{env_name}-dev")[1])["phases"]["build"]["commands"]
        assert embedded(commands[0]) == script
        assert commands[1] == (
            "PYTHONPATH=/tmp/python-deps python3 /tmp/deploy.py --taskdef taskdef.json --appspec appspec.json"
        )


def test_deploy_project_variables_render_the_sample_app_templates(synth: SynthesizedPipeline) -> None:
    """The deploy contract: project variables + action variables + AWS_REGION fill every placeholder."""
    _, properties = project(synth, "sample-deploy-staging-dev")
    provided = {name: value for name, value in env_vars(properties).items() if isinstance(value, str)}
    provided |= {"IMAGE_URI": "repo:abc", "IMAGE_TAG": "abc", "AWS_REGION": "us-east-1"}
    assert set(deploy.TEMPLATE_VARIABLES) | set(deploy.TARGET_VARIABLES) <= set(provided)
    taskdef = deploy.render((ROOT / "sample-app/deploy/taskdef.json").read_text(), provided)
    assert taskdef["family"] == "sample-task-staging-dev"
    assert taskdef["executionRoleArn"] == "arn:aws:iam::222222222222:role/sample-execution-role-staging-dev"
    container = taskdef["containerDefinitions"][0]
    assert container["name"] == "sample" and container["image"] == "repo:abc"
    assert container["portMappings"] == [{"containerPort": 8080, "protocol": "tcp"}]
    assert container["logConfiguration"]["options"]["awslogs-group"] == "sample-task-logs-staging-dev"
    appspec = deploy.render(
        (ROOT / "sample-app/deploy/appspec.json").read_text(), {**provided, "TASK_DEFINITION_ARN": "arn:td"}
    )
    assert appspec["Hooks"] == [{"AfterAllowTestTraffic": "sample-smoke-test-staging-dev"}]
    assert appspec["Resources"][0]["TargetService"]["Properties"]["LoadBalancerInfo"] == {
        "ContainerName": "sample",
        "ContainerPort": 8080,
    }


# --- storage ----------------------------------------------------------------------------------


def test_artifact_bucket_is_versioned_sse_s3_private_tls_only_and_expires_old_versions(
    synth: SynthesizedPipeline, pipeline: dict
) -> None:
    bucket_key, bucket = synth.named("AWS::S3::Bucket", "BucketName", "sample-artifacts-pipeline-dev-111111111111")
    assert pipeline["ArtifactStore"] == {"Location": {"Ref": bucket_key}, "Type": "S3"}
    properties = bucket["Properties"]
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    assert properties["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    (rule,) = properties["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    assert bucket["DeletionPolicy"] == "Delete"


def test_artifact_bucket_policy_denies_insecure_transport_and_other_accounts(synth: SynthesizedPipeline) -> None:
    bucket_key, _ = synth.named("AWS::S3::Bucket", "BucketName", "sample-artifacts-pipeline-dev-111111111111")
    (policy,) = [
        p for p in synth.of_type("AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == {"Ref": bucket_key}
    ]
    denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    conditions = [s["Condition"] for s in denies if s["Principal"] == {"AWS": "*"} and s["Action"] == "s3:*"]
    assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
    assert {"StringNotEquals": {"aws:PrincipalAccount": "111111111111"}} in conditions


def test_buckets_log_access_to_the_foundation_access_log_bucket(synth: SynthesizedPipeline) -> None:
    buckets = synth.of_type("AWS::S3::Bucket")
    assert len(buckets) == 1  # the sample's artifacts (the source bucket is the foundation's)
    for bucket in buckets.values():
        logging = bucket["Properties"]["LoggingConfiguration"]
        assert logging["DestinationBucketName"] == "access-logs-pipeline-dev-111111111111"


# --- images ---------------------------------------------------------------------------------------


def test_application_repository_is_immutable_scanned_bounded_and_pullable_only_by_execution_roles(
    synth: SynthesizedPipeline,
) -> None:
    _, repo = synth.named("AWS::ECR::Repository", "RepositoryName", synth.names.ecr_repository("sample"))
    properties = repo["Properties"]
    assert properties["ImageTagMutability"] == "IMMUTABLE"
    assert properties["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert properties["EmptyOnDelete"] is True
    # Defect 9: the images each environment runs never fall to the catch-all "last 30" rule, because an
    # image matching a higher-priority rule's tags cannot be expired by a lower-priority rule.
    rules = json.loads(properties["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
    assert [(r["rulePriority"], r["selection"]) for r in rules] == [
        (
            priority,
            {
                "tagStatus": "tagged",
                "tagPatternList": [f"{deploy.DEPLOYED_TAG_PREFIX}{env}-*"],
                "countType": "imageCountMoreThan",
                "countNumber": 10,
            },
        )
        for priority, env in enumerate(("prod", "staging", "dev"), start=1)
    ] + [(4, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30})]
    assert all(rule["action"] == {"type": "expire"} for rule in rules)
    (statement,) = properties["RepositoryPolicyText"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]
    accounts = sorted(dict.fromkeys(env.account for env in synth.config.environments))
    assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{account}:root" for account in accounts]}
    assert statement["Condition"] == {
        "ArnLike": {  # no wildcard in the names: exactly these roles
            "aws:PrincipalArn": [
                ROLE_ARN.format(account=env.account, name=synth.names.task_execution_role("sample", env.name))
                for env in synth.config.environments
            ]
        }
    }


# --- secrets and rotation -----------------------------------------------------------------------


def test_registry_secret_has_a_generated_placeholder_no_literal_value_and_operator_instructions(
    synth: SynthesizedPipeline,
) -> None:
    _, secret = synth.shared.named("AWS::SecretsManager::Secret", "Name", "docker-registry-credentials-pipeline-dev")
    properties = secret["Properties"]
    assert "SecretString" not in properties
    generated = properties["GenerateSecretString"]
    assert generated["GenerateStringKey"] == "password"
    assert json.loads(generated["SecretStringTemplate"]) == {"registry": "docker.io", "username": ""}
    assert "put-secret-value" in properties["Description"]
    assert secret["DeletionPolicy"] == "Delete"


def test_secret_rotates_every_30_days_through_the_rotation_lambda(synth: SynthesizedPipeline) -> None:
    synth = synth.shared
    secret_key, _ = synth.named("AWS::SecretsManager::Secret", "Name", "docker-registry-credentials-pipeline-dev")
    function_key, function = synth.named("AWS::Lambda::Function", "FunctionName", "registry-rotation-pipeline-dev")
    (schedule,) = synth.of_type("AWS::SecretsManager::RotationSchedule").values()
    assert schedule["Properties"] == {
        "SecretId": {"Ref": secret_key},
        "RotationLambdaARN": {"Fn::GetAtt": [function_key, "Arn"]},
        "RotationRules": {"ScheduleExpression": "rate(30 days)"},
        "RotateImmediatelyOnUpdate": False,
    }
    assert function["Properties"]["Handler"] == "registry_rotation.handler"
    assert (ROOT / "stacks/pipeline/runtime/rotation/registry_rotation.py").is_file()
    (permission,) = synth.of_type("AWS::Lambda::Permission").values()
    assert permission["Properties"]["Principal"] == "secretsmanager.amazonaws.com"
    assert permission["Properties"]["SourceAccount"] == "111111111111"
    role_key = function["Properties"]["Role"]["Fn::GetAtt"][0]
    secret_grants = [s for s in role_statements(synth.raw, role_key) if s["Resource"] == {"Ref": secret_key}]
    assert sorted(a for s in secret_grants for a in s["Action"]) == [
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
    ]


# --- across the stack -----------------------------------------------------------------------------


def test_every_role_denies_terminate_instances_inline(synth: SynthesizedPipeline) -> None:
    for key, role in synth.of_type("AWS::IAM::Role").items():
        if "CustomResourceProvider" in key:
            continue  # CDK's auto-delete provider: same-account, Lambda-only trust
        statements = [s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
        assert {
            "Action": "ec2:TerminateInstances",
            "Effect": "Deny",
            "Resource": "*",
            "Sid": "DenyTerminateInstances",
        } in statements, key


def test_no_wildcard_actions_and_wildcard_resources_only_where_aws_requires_them(synth: SynthesizedPipeline) -> None:
    allowed_star = {"ecr:GetAuthorizationToken"}  # no resource-level permissions in ECR's authorization API
    for key, policy in synth.of_type("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            assert "*" not in as_list(statement["Action"]), key
            if "*" in as_list(statement["Resource"]):
                assert set(as_list(statement["Action"])) <= allowed_star, (key, statement)


def test_log_groups_are_named_retained_for_a_while_and_destroyed_with_the_stack(synth: SynthesizedPipeline) -> None:
    groups = synth.of_type("AWS::Logs::LogGroup").values()
    projects = [body["Properties"]["Name"] for body in synth.of_type("AWS::CodeBuild::Project").values()]
    assert sorted(group["Properties"]["LogGroupName"] for group in groups) == sorted(
        [f"/aws/codebuild/{name}" for name in projects] + ["/aws/lambda/cicd-sample-sdk-calls-pipeline-dev"]
    )
    for group in groups:
        assert group["Properties"]["RetentionInDays"] in (30, 90)
        assert group["DeletionPolicy"] == "Delete"


def test_the_stack_passes_the_gate_and_cdk_nag(synth: SynthesizedPipeline) -> None:
    assert synth.error == ""
    results = [r for r in synth.gate.results if r.stack in synth.stack_names]
    assert results and [synth.gate.describe(r) for r in results if r.status == FAIL] == []


def test_checkov_skips_are_few_and_each_has_a_reason(synth: SynthesizedPipeline) -> None:
    skips = {
        (body["Type"], skip["id"]): skip["comment"]
        for body in [*synth.resources.values(), *synth.foundation["Resources"].values()]
        for skip in (body.get("Metadata") or {}).get("checkov", {}).get("skip", [])
    }
    assert set(skips) == {
        ("AWS::Lambda::Function", "CKV_AWS_115"),
        ("AWS::Lambda::Function", "CKV_AWS_116"),
        ("AWS::Lambda::Function", "CKV_AWS_117"),
        ("AWS::Lambda::Function", "CKV_AWS_173"),  # the rotation function's one variable: a secret's ARN
        ("AWS::ECR::Repository", "CKV_AWS_136"),
        ("AWS::SecretsManager::Secret", "CKV_AWS_149"),
        ("AWS::Logs::LogGroup", "CKV_AWS_158"),
        ("AWS::SNS::Topic", "CKV_AWS_26"),
        ("AWS::S3::Bucket", "CKV_AWS_18"),  # the foundation's access-log sink does not log itself
        ("AWS::S3::Bucket", "CKV_AWS_21"),  # the sink and the build cache keep no versions
    }
    assert all(len(reason) > 60 for reason in skips.values())
