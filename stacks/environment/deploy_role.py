"""The role the pipeline account's deploy projects assume to deploy into this environment."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.environment.deployment import BlueGreenDeployment
from stacks.environment.part import EnvironmentPart
from stacks.environment.service import BlueGreenService
from stacks.guardrails import deny_terminate_instances
from stacks.scanner_suppressions import acknowledge_nag, wildcard_resource


class DeployRole(Construct):
    """`Names.deploy_role(app, env)`: trusted only by the pipeline account's deploy project role of this
    application and environment (aws:PrincipalArn) presenting the environment's external ID, so one
    application's pipeline can never deploy another's service.

    The trust names the account root with a condition rather than the role ARN as principal:
    IAM rejects a trust policy naming a role that does not exist yet, and this stack deploys
    before the pipeline stack creates the deploy project role.

    It may register task definitions of the service's family, pass exactly the service's task and
    execution roles to ECS, and create, read and stop deployments of the service's deployment group
    (with the revision and configuration reads CreateDeployment depends on). Its own inline policy
    denies ec2:TerminateInstances, whatever is attached later.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        part: EnvironmentPart,
        application: str,
        service: BlueGreenService,
        deployment: BlueGreenDeployment,
    ) -> None:
        super().__init__(scope, construct_id)
        config, environment, names = part.config, part.environment, part.names
        env = environment.name
        self.trusted_role_arn = (
            f"arn:aws:iam::{config.pipeline_account}:role/{names.deploy_project_role(application, env)}"
        )
        principal = iam.AccountPrincipal(config.pipeline_account).with_conditions(
            {
                "StringEquals": {"sts:ExternalId": names.external_id(env)},
                "ArnEquals": {"aws:PrincipalArn": [self.trusted_role_arn]},
            }
        )
        self.role = iam.Role(
            self,
            "Role",
            role_name=names.deploy_role(application, env),
            assumed_by=principal,
            description=f"{application}'s deploy project: registers task definitions, starts blue/green deployments",
            inline_policies={
                **deny_terminate_instances(),
                "BlueGreenDeploy": iam.PolicyDocument(statements=_statements(service, deployment)),
            },
        )
        family = service.task_definition.family
        acknowledge_nag(
            self.role.node.default_child,
            wildcard_resource("*"),
            "Only codedeploy:StopDeployment is on '*': CodeDeploy defines no resource type for it, so AWS accepts "
            "no narrower resource. The deploy script stops only the deployment it started, when it outlives its "
            "wait; the role can start deployments of this service's group alone.",
        )
        acknowledge_nag(
            self.role.node.default_child,
            wildcard_resource(_task_definitions(service)),
            f"ecs:RegisterTaskDefinition on the {family} family only: every deploy registers a new revision "
            "and ECS numbers it at registration, so the ARN can name the family but must end in ':*' for "
            "the revision. Which roles a revision may use is limited by the iam:PassRole statement.",
        )


def _task_definitions(service: BlueGreenService) -> str:
    """Every revision of the service's task definition family."""
    return service.task_definition.stack.format_arn(
        service="ecs", resource="task-definition", resource_name=f"{service.task_definition.family}:*"
    )


def _statements(service: BlueGreenService, deployment: BlueGreenDeployment) -> list[iam.PolicyStatement]:
    group = deployment.deployment_group
    return [
        iam.PolicyStatement(actions=["ecs:RegisterTaskDefinition"], resources=[_task_definitions(service)]),
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[service.task_role.role_arn, service.execution_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        ),
        iam.PolicyStatement(
            actions=["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
            resources=[group.deployment_group_arn],
        ),
        iam.PolicyStatement(
            actions=[
                "codedeploy:GetApplication",
                "codedeploy:GetApplicationRevision",
                "codedeploy:RegisterApplicationRevision",
            ],
            resources=[group.application.application_arn],
        ),
        iam.PolicyStatement(
            actions=["codedeploy:GetDeploymentConfig"], resources=[group.deployment_config.deployment_config_arn]
        ),
        # deploy.py stops (and rolls back) a deployment that outlives its wait. CodeDeploy defines no
        # resource type for StopDeployment: AWS accepts only '*'.
        iam.PolicyStatement(actions=["codedeploy:StopDeployment"], resources=["*"]),
    ]
