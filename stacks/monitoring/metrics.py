"""The delivery metrics the events log group's metric filters count, one declaration each.

Dimensions come from the events themselves (the pipeline's or the deployment group's name, which
carry the environment and the suffix), so several copies of the system in one account never mix.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs

from stacks.monitoring.events import (
    CODEDEPLOY,
    CODEPIPELINE,
    DEPLOYMENT_ROLLED_BACK,
    DEPLOYMENT_SUCCEEDED,
)

NAMESPACE = "CICD/Delivery"


@dataclass(frozen=True)
class CountedEvent:
    """A metric counting one kind of logged event, per value of one event field."""

    kind: str
    """Names the metric filter: `<kind>-filter-pipeline-<suffix>`."""
    metric_name: str
    dimension: str
    dimension_path: str
    source: str
    states: tuple[str, ...]
    pipeline_level: bool = False
    """Only pipeline-level executions: stage and action events carry a `stage` field."""

    def filter_pattern(self) -> logs.IFilterPattern:
        states = [logs.FilterPattern.string_value("$.detail.state", "=", state) for state in self.states]
        conditions = [
            logs.FilterPattern.string_value("$.source", "=", self.source),
            states[0] if len(states) == 1 else logs.FilterPattern.any(*states),
        ]
        if self.pipeline_level:
            conditions.append(logs.FilterPattern.not_exists("$.detail.stage"))
        return logs.FilterPattern.all(*conditions)

    def metric(self, value: str, *, period: cdk.Duration, label: str | None = None) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=self.metric_name,
            dimensions_map={self.dimension: value},
            statistic="Sum",
            period=period,
            label=label,
        )


def _pipeline_executions(outcome: str, state: str) -> CountedEvent:
    return CountedEvent(
        kind=f"pipeline-{outcome.lower()}",
        metric_name=f"PipelineExecutions{outcome}",
        dimension="Pipeline",
        dimension_path="$.detail.pipeline",
        source=CODEPIPELINE,
        states=(state,),
        pipeline_level=True,
    )


def _deployments(kind: str, outcome: str, states: tuple[str, ...]) -> CountedEvent:
    return CountedEvent(
        kind=kind,
        metric_name=f"Deployments{outcome}",
        dimension="DeploymentGroup",
        dimension_path="$.detail.deploymentGroup",
        source=CODEDEPLOY,
        states=states,
    )


PIPELINE_SUCCEEDED = _pipeline_executions("Succeeded", "SUCCEEDED")
PIPELINE_FAILED = _pipeline_executions("Failed", "FAILED")
DEPLOYMENTS_SUCCEEDED = _deployments("deployment-succeeded", "Succeeded", DEPLOYMENT_SUCCEEDED)
DEPLOYMENTS_ROLLED_BACK = _deployments("deployment-rolled-back", "RolledBack", DEPLOYMENT_ROLLED_BACK)
"""Failed or stopped deployments: the deployment groups roll each of them back."""

COUNTED_EVENTS = (PIPELINE_SUCCEEDED, PIPELINE_FAILED, DEPLOYMENTS_SUCCEEDED, DEPLOYMENTS_ROLLED_BACK)


def success_rate(
    succeeded: list[cloudwatch.IMetric],
    failed: list[cloudwatch.IMetric],
    *,
    prefix: str,
    label: str,
    period: cdk.Duration,
) -> cloudwatch.MathExpression:
    """100 * succeeded / (succeeded + failed), each summed over its metrics; a period without data counts 0.

    `prefix` keeps the expression's metric IDs apart from other expressions' in the same widget.
    """
    successes = {f"{prefix}s{index}": metric for index, metric in enumerate(succeeded)}
    failures = {f"{prefix}f{index}": metric for index, metric in enumerate(failed)}
    ok, bad = (" + ".join(f"FILL({key}, 0)" for key in ids) for ids in (successes, failures))
    return cloudwatch.MathExpression(
        expression=f"100 * ({ok}) / ({ok} + {bad})", using_metrics=successes | failures, label=label, period=period
    )
