"""Private ECR repositories of the pipeline account: the build image and one per application."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.config import AppConfig
from stacks.exceptions import skip_checkov
from stacks.naming import PIPELINE, Names
from stacks.pipeline.roles import role_arn

BUILD_IMAGE_TAG = "standard-5.0"
"""Tag of the mirrored CodeBuild image (`make build-image` pushes it); tags are immutable, so a
newer mirror gets a new tag here."""
BUILD_IMAGES_KEPT = 5
APPLICATION_IMAGES_KEPT = 30
PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


def repository(scope: Construct, construct_id: str, *, name: str, images_kept: int) -> ecr.Repository:
    """Immutable tags, scan on push, the last `images_kept` images kept, emptied and deleted with the stack."""
    repo = ecr.Repository(
        scope,
        construct_id,
        repository_name=name,
        image_tag_mutability=ecr.TagMutability.IMMUTABLE,
        image_scan_on_push=True,
        lifecycle_rules=[
            ecr.LifecycleRule(
                description=f"keep the last {images_kept} images",
                max_image_count=images_kept,
                tag_status=ecr.TagStatus.ANY,
            )
        ],
        removal_policy=cdk.RemovalPolicy.DESTROY,
        empty_on_delete=True,
    )
    skip_checkov(
        repo,
        "CKV_AWS_136",
        "ECR encrypts images at rest with AES-256 by default. A customer managed key would need grants to every "
        "environment account's task execution role for no gain: the images hold built code, never secrets.",
    )
    return repo


def build_image_repository(scope: Construct, construct_id: str, *, names: Names) -> ecr.Repository:
    return repository(
        scope,
        construct_id,
        name=names("build-image-ecr-repository", PIPELINE, "AWS::ECR::Repository"),
        images_kept=BUILD_IMAGES_KEPT,
    )


def application_repository(
    scope: Construct, construct_id: str, *, app: str, config: AppConfig, names: Names
) -> ecr.Repository:
    """The application's images; only the environments' task execution roles may pull them."""
    repo = repository(scope, construct_id, name=names.ecr_repository(app), images_kept=APPLICATION_IMAGES_KEPT)
    execution_roles = [
        role_arn(scope, account=env.account, role_name=names.task_execution_role(app, env.name))
        for env in config.environments
    ]
    # The roles live in other stacks (other accounts) that may be deployed after this one: a policy
    # naming a role that does not exist yet is rejected, so the principal is the account and the
    # condition pins the exact roles.
    repo.add_to_resource_policy(
        iam.PolicyStatement(
            sid="PullByEnvironmentTaskExecutionRoles",
            principals=[iam.AccountPrincipal(account) for account in config.target_accounts],
            actions=PULL_ACTIONS,
            conditions={"ArnEquals": {"aws:PrincipalArn": execution_roles}},
        )
    )
    return repo
