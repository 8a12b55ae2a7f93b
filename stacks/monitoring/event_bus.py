"""Deployment events from the environment accounts to the pipeline account's event bus.

Each environment's forwarding rule sends its CodeDeploy deployments' outcomes to one custom bus in
the pipeline account, through a role of its own account allowed to put events on that bus only.
The bus accepts them from the target accounts, and only CodeDeploy deployment events. An
environment in the pipeline account itself (dev in cdk.json, every environment in single-account
mode) forwards the same way: the bus is then in its own account and its role alone grants the
write, so the bus policy lists only the other accounts, and none at all when there are none.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.config import AppConfig
from stacks.guardrails import deny_terminate_instances
from stacks.monitoring.events import CODEDEPLOY, DEPLOYMENT_STATE, NameMatchers, deployment_events
from stacks.monitoring.targets import RuleTarget
from stacks.naming import Names


def foreign_target_accounts(config: AppConfig) -> tuple[str, ...]:
    """Target accounts other than the pipeline account: the bus policy's principals."""
    return tuple(account for account in config.target_accounts if account != config.pipeline_account)


class DeploymentEventBus(Construct):
    """The pipeline account's bus for deployment events, open to the target accounts' CodeDeploy events."""

    def __init__(self, scope: Construct, construct_id: str, *, names: Names, config: AppConfig) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(
            self,
            "Bus",
            event_bus_name=names.event_bus(),
            description="CodeDeploy deployment outcomes forwarded by every environment",
        )
        self.foreign_accounts = foreign_target_accounts(config)
        if self.foreign_accounts:
            # The bus's own Policy property, not add_to_resource_policy: that makes an
            # AWS::Events::EventBusPolicy, whose deprecated Principal cdk-nag reads (a jsii warning on
            # every synth). The ARN is spelled out: the bus cannot reference its own attributes.
            statement = iam.PolicyStatement(
                sid="TargetAccountsPutDeploymentEvents",
                principals=[iam.AccountPrincipal(account) for account in self.foreign_accounts],
                actions=["events:PutEvents"],
                resources=[
                    cdk.Stack.of(self).format_arn(
                        service="events", resource="event-bus", resource_name=names.event_bus()
                    )
                ],
                conditions={
                    "ForAllValues:StringEquals": {"events:source": [CODEDEPLOY]},
                    "StringEquals": {"events:detail-type": DEPLOYMENT_STATE},
                },
            )
            bus = self.bus.node.default_child
            bus.policy = iam.PolicyDocument(statements=[statement]).to_json()


class DeploymentEventForwarder(Construct):
    """Rule on an environment account's default bus: its deployment groups' outcomes go to the pipeline
    account's bus, sent by a role that may put events on that bus and nothing else."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: Names,
        config: AppConfig,
        environment: str,
        deployment_groups: NameMatchers,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus_arn = cdk.Stack.of(self).format_arn(
            service="events",
            account=config.pipeline_account,
            resource="event-bus",
            resource_name=names.event_bus(),
        )
        self.role = iam.Role(
            self,
            "Role",
            role_name=names("deployment-events-role", environment, "AWS::IAM::Role"),
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description=f"Lets EventBridge forward {environment}'s deployment outcomes to the pipeline account's bus",
            inline_policies={
                "PutDeploymentEvents": iam.PolicyDocument(
                    statements=[iam.PolicyStatement(actions=["events:PutEvents"], resources=[self.bus_arn])]
                ),
                # It writes into the pipeline account, so it carries the deny like every role reaching across.
                **deny_terminate_instances(),
            },
        )
        self.rule = events.Rule(
            self,
            "Rule",
            rule_name=names("deployment-events-rule", environment, "AWS::Events::Rule"),
            description=f"Forwards {environment}'s deployment outcomes to the pipeline account's event bus",
            event_pattern=deployment_events(deployment_groups),
            targets=[RuleTarget(self.bus_arn, role=self.role)],
        )
