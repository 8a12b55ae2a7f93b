"""The pipeline account's alerts topic: e-mail subscribers, publishers named one by one."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.naming import Names
from stacks.scanner_suppressions import skip_checkov

UNENCRYPTED = (
    "Alerts carry pipeline, stage, action and project names, execution and deployment IDs and console links, "
    "nothing confidential, and leave AWS as plain e-mail anyway. Server-side encryption would need a customer "
    "managed KMS key (EventBridge and CloudWatch cannot use the aws/sns key, whose policy cannot be changed), "
    "against the project's no-customer-keys decision (a key outlives `cdk destroy` by its 7-30 day deletion "
    "window), for no confidentiality gain."
)


class AlertsTopic(Construct):
    """SNS topic the failure rules and alarms publish to; TLS-only, e-mail subscriptions from configuration.

    CDK's SNS rule target would let any EventBridge rule publish; the topic policy instead names the
    publishing rules by ARN and the applications' alarms by the ARN pattern their names share
    (`allow`), so no other rule or alarm, in any account, can.
    """

    def __init__(self, scope: Construct, construct_id: str, *, names: Names, emails: Sequence[str]) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=names.alerts_topic(),
            display_name="CI/CD alerts",
            enforce_ssl=True,
        )
        skip_checkov(self.topic, "CKV_AWS_26", UNENCRYPTED)
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))

    def allow(self, sid: str, service: str, source_arns: Sequence[str], *, like: bool = False) -> None:
        """Let `service` publish on behalf of the resources `source_arns` (rules, alarms) only; with
        `like`, ARN patterns (every application's alarms, by how their names end)."""
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[iam.ServicePrincipal(service)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"ArnLike" if like else "ArnEquals": {"aws:SourceArn": list(source_arns)}},
            )
        )
