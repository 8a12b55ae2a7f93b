"""Private ECR repositories of the pipeline account: the tools repository and one per application.

Lifecycle: a catch-all rule keeps the newest images, and rules of higher priority select the images
that must never expire with it (ECR never lets a lower-priority rule expire an image that matches a
higher-priority rule's tags): in an application repository the images deployed to each environment
(tagged by the deploy projects), in the tools repository the images the stacks pin now.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.config import ENVIRONMENTS, AppConfig
from stacks.foundation.images import TOOL_IMAGES
from stacks.naming import Names
from stacks.pipeline.roles import role_arn
from stacks.scanner_suppressions import skip_checkov

TOOL_IMAGES_KEPT = 10
APPLICATION_IMAGES_KEPT = 30
DEPLOYED_IMAGES_KEPT = 10
"""Per environment: the image it runs and the previous ones, for a rollback or redeploy."""
DEPLOYED_TAG = "deployed-{environment}-*"
"""Tag pattern of images a deploy project deployed (runtime/deploy.py's DEPLOYED_TAG_PREFIX)."""
PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


def repository(
    scope: Construct,
    construct_id: str,
    *,
    name: str,
    images_kept: int,
    protected: list[tuple[str, str, int]],
    pullers: list[str],
    config: AppConfig,
) -> ecr.Repository:
    """Immutable tags, scan on push; lifecycle: each `protected` (description, tag pattern, images kept)
    first, then the last `images_kept` images; emptied and deleted with the stack. Only the roles
    named in `pullers` (ARN patterns, in the target accounts) may pull."""
    rules = [
        ecr.LifecycleRule(
            description=description, tag_pattern_list=[pattern], max_image_count=kept, rule_priority=priority
        )
        for priority, (description, pattern, kept) in enumerate(protected, start=1)
    ]
    catch_all = ecr.LifecycleRule(
        description=f"keep the last {images_kept} images",
        max_image_count=images_kept,
        tag_status=ecr.TagStatus.ANY,
        rule_priority=len(protected) + 1,
    )
    repo = ecr.Repository(
        scope,
        construct_id,
        repository_name=name,
        image_tag_mutability=ecr.TagMutability.IMMUTABLE,
        image_scan_on_push=True,
        lifecycle_rules=[*rules, catch_all],
        removal_policy=cdk.RemovalPolicy.DESTROY,
        empty_on_delete=True,
    )
    skip_checkov(
        repo,
        "CKV_AWS_136",
        "ECR encrypts images at rest with AES-256 by default. A customer managed key would need grants to every "
        "environment account's task execution role for no gain: the images hold built code, never secrets.",
    )
    # The roles live in other stacks (other accounts) that may be deployed after this one: a policy
    # naming a role that does not exist yet is rejected, so the principal is the account and the
    # condition pins the roles.
    repo.add_to_resource_policy(
        iam.PolicyStatement(
            sid="PullByEnvironmentTaskExecutionRoles",
            principals=[iam.AccountPrincipal(account) for account in config.target_accounts],
            actions=PULL_ACTIONS,
            conditions={"ArnLike": {"aws:PrincipalArn": pullers}},
        )
    )
    return repo


def tools_repository(scope: Construct, construct_id: str, *, names: Names, config: AppConfig) -> ecr.Repository:
    """The build image and the services' placeholder; the environments' task execution roles
    may pull (the placeholder)."""
    return repository(
        scope,
        construct_id,
        name=names.tools_repository(),
        images_kept=TOOL_IMAGES_KEPT,
        protected=[(f"keep {image.tag}: the stacks use it", image.tag, 1) for image in TOOL_IMAGES],
        pullers=[
            role_arn(scope, account=env.account, role_name=names.task_execution_roles(env.name))
            for env in config.environments
        ],
        config=config,
    )


def application_repository(
    scope: Construct, construct_id: str, *, app: str, config: AppConfig, names: Names
) -> ecr.Repository:
    """The application's images; only the environments' task execution roles may pull them."""
    return repository(
        scope,
        construct_id,
        name=names.ecr_repository(app),
        images_kept=APPLICATION_IMAGES_KEPT,
        protected=[
            (
                f"keep the last {DEPLOYED_IMAGES_KEPT} images deployed to {environment}",
                DEPLOYED_TAG.format(environment=environment),
                DEPLOYED_IMAGES_KEPT,
            )
            for environment in reversed(ENVIRONMENTS)
        ],
        pullers=[
            role_arn(scope, account=env.account, role_name=names.task_execution_role(app, env.name))
            for env in config.environments
        ],
        config=config,
    )
