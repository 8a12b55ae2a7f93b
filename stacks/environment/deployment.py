"""CodeDeploy blue/green for one service: application, deployment group, alarms, hook, service role."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.config import Environment
from stacks.environment.service import BlueGreenService
from stacks.environment.smoke_test import SmokeTestHook
from stacks.naming import Names
from stacks.scanner_suppressions import acknowledge_nag, wildcard_resource

DEPLOYMENT_CONFIGS: dict[str, codedeploy.IEcsDeploymentConfig] = {
    "AllAtOnce": codedeploy.EcsDeploymentConfig.ALL_AT_ONCE,
    "Linear10PercentEvery1Minutes": codedeploy.EcsDeploymentConfig.LINEAR_10_PERCENT_EVERY_1_MINUTES,
    "Linear10PercentEvery3Minutes": codedeploy.EcsDeploymentConfig.LINEAR_10_PERCENT_EVERY_3_MINUTES,
    "Canary10Percent5Minutes": codedeploy.EcsDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
    "Canary10Percent15Minutes": codedeploy.EcsDeploymentConfig.CANARY_10_PERCENT_15_MINUTES,
}
"""Configuration's `trafficShifting` values -> CodeDeploy's predefined ECS deployment configurations."""

TARGET_5XX_THRESHOLD = 5
"""Target 5xx responses per minute, two minutes running, that stop and roll back a deployment."""


class BlueGreenDeployment(Construct):
    """BLUE_GREEN deployment group with traffic control over the service's two target groups.

    Rolls back when a deployment fails, is stopped, or any alarm fires (target 5xx, unhealthy
    targets, on either target group: blue and green swap roles with every deployment). Traffic
    shifts per the environment's configuration; blue tasks are kept for `terminationWaitMinutes`
    after the shift. The smoke-test hook is named in the appspec the pipeline sends.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: BlueGreenService,
        environment: Environment,
        names: Names,
    ) -> None:
        super().__init__(scope, construct_id)
        app, env = service.container_name, environment.name
        self.hook = SmokeTestHook(self, "SmokeTest", app=app, env=env, names=names, test_url=service.test_url)
        self.alarms = [
            alarm
            for color, target_group in (("blue", service.blue_target_group), ("green", service.green_target_group))
            for alarm in self._alarms(app, color, target_group, env, names)
        ]
        self.application = codedeploy.EcsApplication(
            self, "Application", application_name=names.codedeploy_application(app, env)
        )
        self.deployment_group = codedeploy.EcsDeploymentGroup(
            self,
            "DeploymentGroup",
            deployment_group_name=names.deployment_group(app, env),
            application=self.application,
            service=service.service,
            # Immutable: the L2 would otherwise attach AWSCodeDeployRoleForECS (every action on '*').
            role=self._service_role(service, app, env, names).without_policy_updates(),
            deployment_config=DEPLOYMENT_CONFIGS[environment.traffic_shifting],
            blue_green_deployment_config=codedeploy.EcsBlueGreenDeploymentConfig(
                blue_target_group=service.blue_target_group,
                green_target_group=service.green_target_group,
                listener=service.production_listener,
                test_listener=service.test_listener,
                termination_wait_time=cdk.Duration.minutes(environment.termination_wait_minutes),
            ),
            alarms=self.alarms,
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
        )

    def _alarms(
        self, app: str, color: str, target_group: elbv2.ApplicationTargetGroup, env: str, names: Names
    ) -> list[cloudwatch.Alarm]:
        minute = cdk.Duration.minutes(1)
        errors = target_group.metrics.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=minute)
        unhealthy = target_group.metrics.unhealthy_host_count(period=minute, statistic="Maximum")
        common = {
            "evaluation_periods": 2,
            "datapoints_to_alarm": 2,
            "comparison_operator": cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            "treat_missing_data": cloudwatch.TreatMissingData.NOT_BREACHING,
        }
        return [
            cloudwatch.Alarm(
                self,
                f"{color.capitalize()}Target5xxAlarm",
                alarm_name=names(f"{app}-{color}-5xx-alarm", env, "AWS::CloudWatch::Alarm"),
                alarm_description=f"{app} {color} targets answer 5xx: rolls back a running deployment",
                metric=errors,
                threshold=TARGET_5XX_THRESHOLD,
                **common,
            ),
            cloudwatch.Alarm(
                self,
                f"{color.capitalize()}UnhealthyHostsAlarm",
                alarm_name=names(f"{app}-{color}-unhealthy-alarm", env, "AWS::CloudWatch::Alarm"),
                alarm_description=f"{app} {color} targets fail health checks: rolls back a running deployment",
                metric=unhealthy,
                threshold=1,
                **common,
            ),
        ]

    def _service_role(self, service: BlueGreenService, app: str, env: str, names: Names) -> iam.Role:
        """What CodeDeploy does for an ECS blue/green deployment, scoped to this service's resources."""
        stack = cdk.Stack.of(self)
        cluster, ecs_service = names.cluster(env), names.service(app, env)
        task_sets = stack.format_arn(service="ecs", resource="task-set", resource_name=f"{cluster}/{ecs_service}/*")
        listener_rules = stack.format_arn(
            service="elasticloadbalancing",
            resource="listener-rule",
            resource_name=f"app/{service.load_balancer_name}/*",
        )
        statements = [
            iam.PolicyStatement(actions=["ecs:DescribeServices"], resources=[service.service.service_arn]),
            iam.PolicyStatement(
                actions=["ecs:CreateTaskSet", "ecs:UpdateServicePrimaryTaskSet", "ecs:DeleteTaskSet"],
                resources=[service.service.service_arn, task_sets],
            ),
            iam.PolicyStatement(
                actions=["elasticloadbalancing:ModifyListener"],
                resources=[service.production_listener.listener_arn, service.test_listener.listener_arn],
            ),
            iam.PolicyStatement(actions=["elasticloadbalancing:ModifyRule"], resources=[listener_rules]),
            # Describe* of Elastic Load Balancing has no resource-level permissions: AWS requires '*'.
            iam.PolicyStatement(
                actions=[
                    "elasticloadbalancing:DescribeTargetGroups",
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeRules",
                ],
                resources=["*"],
            ),
            iam.PolicyStatement(
                actions=["cloudwatch:DescribeAlarms"], resources=[alarm.alarm_arn for alarm in self.alarms]
            ),
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.hook.function.function_arn]),
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[service.task_role.role_arn, service.execution_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            ),
        ]
        role = iam.Role(
            self,
            "ServiceRole",
            role_name=names(f"{app}-codedeploy-role", env, "AWS::IAM::Role"),
            assumed_by=iam.ServicePrincipal("codedeploy.amazonaws.com"),
            description=f"CodeDeploy's blue/green deployments of the {app} service, and nothing else",
            inline_policies={"EcsBlueGreen": iam.PolicyDocument(statements=statements)},
        )
        resource = role.node.default_child
        acknowledge_nag(
            resource,
            wildcard_resource("*"),
            "Only elasticloadbalancing:DescribeTargetGroups, DescribeListeners and DescribeRules are on '*': "
            "Elastic Load Balancing defines no resource type for its Describe actions, so AWS accepts no "
            "narrower resource. They are read-only; every action that changes something is scoped to this "
            "service's listeners, rules, service and task sets.",
        )
        acknowledge_nag(
            resource,
            wildcard_resource(task_sets),
            f"Task sets of the {ecs_service} service only: CodeDeploy creates a task set per deployment and ECS "
            "assigns its ID then, so the ARN can name the cluster and service but must end in '*' for the ID.",
        )
        acknowledge_nag(
            resource,
            wildcard_resource(listener_rules),
            f"Listener rules of the {service.load_balancer_name} load balancer only: rule ARNs end in the "
            "load balancer's, the listener's and the rule's generated IDs, which exist only after deployment "
            "(and rules added later get new ones), so the ARN names the load balancer and ends in '*'.",
        )
        return role
