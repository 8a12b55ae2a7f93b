"""Rule targets by ARN, whose permissions the caller writes itself.

CDK's own targets grant as they bind: the SNS target allows every EventBridge rule of any account
to publish, the CloudWatch Logs target installs a custom-resource Lambda function to write the
log group's resource policy. Here the topic policy names the rules (`AlertsTopic`), the log
group's policy is a native AWS::Logs::ResourcePolicy (`DeliveryEventLog`) and roles carry inline
policies.
"""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs


@jsii.implements(events.IRuleTarget)
class RuleTarget:
    def __init__(self, arn: str, *, message: events.RuleTargetInput | None = None, role: iam.IRole | None = None):
        self._arn, self._message, self._role = arn, message, role

    def bind(self, _rule: events.IRule, _id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._arn, input=self._message, role=self._role)


def log_group_target(log_group: logs.ILogGroup) -> RuleTarget:
    """EventBridge names a log group target by the group's ARN without the `:*` of its streams."""
    arn = cdk.Stack.of(log_group).format_arn(
        service="logs",
        resource="log-group",
        resource_name=log_group.log_group_name,
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )
    return RuleTarget(arn)
