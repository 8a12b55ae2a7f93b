"""CloudWatch dashboards: delivery health in the pipeline account, service health in each environment."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from stacks.environment.service import BlueGreenService
from stacks.monitoring.events import ACTION_EXECUTION
from stacks.monitoring.metrics import (
    DEPLOYMENTS_ROLLED_BACK,
    DEPLOYMENTS_SUCCEEDED,
    NAMESPACE,
    PIPELINE_FAILED,
    PIPELINE_SUCCEEDED,
    CountedEvent,
    success_rate,
)
from stacks.monitoring.watched import Watched, WatchedPipeline
from stacks.naming import PIPELINE, Names

DAY = cdk.Duration.days(1)
MINUTE = cdk.Duration.minutes(1)
DELIVERY_INTERVAL = cdk.Duration.days(7)
SERVICE_INTERVAL = cdk.Duration.days(1)
WIDE, THIRD, QUARTER = 24, 8, 6
HEIGHT = 6

RECENT_FAILURES_QUERY = (
    "fields @timestamp, detail.pipeline as pipeline, detail.stage as stage, detail.action as action, "
    "`detail.execution-id` as execution",
    f"filter `detail-type` = '{ACTION_EXECUTION}' and detail.state = 'FAILED'",
    "stats count(*) as failures, latest(@timestamp) as last_failure, latest(execution) as last_execution "
    "by pipeline, stage, action",
    "sort last_failure desc",
    "limit 50",
)


def _dashboard(
    scope: Construct, name: str, interval: cdk.Duration, rows: list[list[cloudwatch.IWidget]]
) -> cloudwatch.Dashboard:
    return cloudwatch.Dashboard(scope, "Dashboard", dashboard_name=name, default_interval=interval, widgets=rows)


def _header(markdown: str) -> cloudwatch.TextWidget:
    return cloudwatch.TextWidget(markdown=markdown, width=WIDE, height=1)


def _graph(title: str, metrics: Sequence[cloudwatch.IMetric], width: int = THIRD, **options) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=width, height=HEIGHT, **options)


def _codebuild(metric_name: str, project: str, statistic: str, label: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/CodeBuild",
        metric_name=metric_name,
        dimensions_map={"ProjectName": project},
        statistic=statistic,
        label=label,
    )


class DeliveryDashboard(Construct):
    """One application's delivery: its pipeline's success rate and executions, build duration (p50,
    p90) and outcomes per project, its deployment success rate per environment, its recent
    failures by stage and action, and its alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: Names,
        watched: Watched,
        event_log_group: str,
        alarms: Sequence[cloudwatch.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        pipeline = watched.pipeline
        rows = self._pipeline_rows(pipeline) + self._deployment_rows(watched)
        query = list(RECENT_FAILURES_QUERY)
        query[1] += f" and detail.pipeline = '{pipeline.pipeline_name}'"
        rows.append(
            [
                cloudwatch.LogQueryWidget(
                    title="Recent failures by stage and action",
                    log_group_names=[event_log_group],
                    query_lines=query,
                    view=cloudwatch.LogQueryVisualizationType.TABLE,
                    width=2 * THIRD,
                    height=2 * HEIGHT,
                ),
                cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alarms), width=THIRD, height=2 * HEIGHT),
            ]
        )
        name = names(f"{pipeline.app}-dashboard", PIPELINE, "AWS::CloudWatch::Dashboard")
        self.dashboard = _dashboard(self, name, DELIVERY_INTERVAL, rows)

    @staticmethod
    def _pipeline_rows(pipeline: WatchedPipeline) -> list[list[cloudwatch.IWidget]]:
        name = pipeline.pipeline_name
        succeeded = PIPELINE_SUCCEEDED.metric(name, period=DAY, label="Succeeded")
        failed = PIPELINE_FAILED.metric(name, period=DAY, label="Failed")
        projects = pipeline.project_names
        return [
            [_header(f"### {pipeline.app}: pipeline `{name}`")],
            [
                cloudwatch.SingleValueWidget(
                    title="Pipeline success rate (%)",
                    metrics=[
                        success_rate([succeeded], [failed], prefix="", label="Succeeded executions (%)", period=DAY)
                    ],
                    set_period_to_time_range=True,
                    width=QUARTER,
                    height=HEIGHT,
                ),
                _graph("Pipeline executions per day", [succeeded, failed], QUARTER),
                _graph(
                    "Build duration, p50 and p90 (seconds)",
                    [
                        _codebuild("Duration", project, statistic, f"{project} {statistic}")
                        for project in projects
                        for statistic in ("p50", "p90")
                    ],
                    QUARTER,
                ),
                _graph(
                    "Builds succeeded and failed per project",
                    [
                        _codebuild(metric_name, project, "Sum", f"{project} {outcome}")
                        for project in projects
                        for metric_name, outcome in (("SucceededBuilds", "succeeded"), ("FailedBuilds", "failed"))
                    ],
                    QUARTER,
                    view=cloudwatch.GraphWidgetView.BAR,
                    set_period_to_time_range=True,
                ),
            ],
        ]

    @staticmethod
    def _deployment_rows(watched: Watched) -> list[list[cloudwatch.IWidget]]:
        rates, outcomes = [], []
        for deployment in watched.deployments:
            env, group = deployment.environment, deployment.deployment_group
            succeeded = DEPLOYMENTS_SUCCEEDED.metric(group, period=DAY, label=f"{env} succeeded")
            rolled_back = DEPLOYMENTS_ROLLED_BACK.metric(group, period=DAY, label=f"{env} rolled back")
            rates.append(success_rate([succeeded], [rolled_back], prefix=env, label=f"{env} (%)", period=DAY))
            outcomes += [succeeded, rolled_back]
        return [
            [_header(f"### {watched.pipeline.app}: deployments")],
            [
                cloudwatch.SingleValueWidget(
                    title="Deployment success rate per environment (%)",
                    metrics=rates,
                    set_period_to_time_range=True,
                    width=THIRD,
                    height=HEIGHT,
                ),
                _graph("Deployments per day: succeeded and rolled back", outcomes, 2 * THIRD),
            ],
        ]


class OverviewDashboard(Construct):
    """Every application's delivery at a glance, without listing them: CloudWatch SEARCH expressions
    find each pipeline's, deployment group's and project's metrics by the words their names share
    with the suffix (one line per pipeline, group or project, up to SEARCH's 500 series), and the
    event log's recent failures. SEARCH matches words, not endings: with a suffix that is also an
    environment's name (`dev`), another copy's `...-dev-<its suffix>` names can show up too."""

    def __init__(self, scope: Construct, construct_id: str, *, names: Names, event_log_group: str) -> None:
        super().__init__(scope, construct_id)
        suffix = names.suffix

        def delivery(counted: CountedEvent, dimension: str, words: str) -> cloudwatch.IMetric:
            return _search(f"{NAMESPACE},{dimension}", counted.metric_name, _search_term(dimension, words), "Sum", DAY)

        def builds(metric_name: str, statistic: str) -> list[cloudwatch.IMetric]:
            kinds = ("build-pipeline", "test-pipeline", "deploy")
            terms = [_search_term("ProjectName", f"{kind}-{suffix}") for kind in kinds]
            return [_search("AWS/CodeBuild,ProjectName", metric_name, term, statistic, DAY) for term in terms]

        pipelines = ("Pipeline", f"pipeline-{PIPELINE}-{suffix}")
        groups = ("DeploymentGroup", f"deployment-group-{suffix}")
        rows: list[list[cloudwatch.IWidget]] = [
            [
                _header(
                    f"### Every application's delivery (suffix `{names.suffix}`): a line per pipeline, group, project"
                )
            ],
            [
                _graph("Failed pipeline executions per day", [delivery(PIPELINE_FAILED, *pipelines)]),
                _graph("Succeeded pipeline executions per day", [delivery(PIPELINE_SUCCEEDED, *pipelines)]),
                _graph("Rolled-back deployments per day", [delivery(DEPLOYMENTS_ROLLED_BACK, *groups)]),
            ],
            [
                _graph("Failed builds per day", builds("FailedBuilds", "Sum")),
                _graph("Build duration p90 (seconds)", builds("Duration", "p90")),
                _graph("Succeeded deployments per day", [delivery(DEPLOYMENTS_SUCCEEDED, *groups)]),
            ],
            [
                cloudwatch.LogQueryWidget(
                    title="Recent failures by pipeline, stage and action",
                    log_group_names=[event_log_group],
                    query_lines=list(RECENT_FAILURES_QUERY),
                    view=cloudwatch.LogQueryVisualizationType.TABLE,
                    width=WIDE,
                    height=2 * HEIGHT,
                )
            ],
        ]
        name = names("cicd-dashboard", PIPELINE, "AWS::CloudWatch::Dashboard")
        self.dashboard = _dashboard(self, name, DELIVERY_INTERVAL, rows)


def _search_term(dimension: str, ending: str) -> str:
    """Metrics whose `dimension` holds every token of `ending` (SEARCH matches names token by token;
    the label then names each series by its value)."""
    tokens = dict.fromkeys(token for token in ending.split("-") if token)
    return " ".join(f"{dimension}={token}" for token in tokens)


def _search(schema: str, metric_name: str, term: str, statistic: str, period: cdk.Duration) -> cloudwatch.IMetric:
    """One SEARCH expression: `metric_name` in `schema` (namespace and dimensions) matching `term`."""
    seconds = int(period.to_seconds())
    expression = f"SEARCH('{{{schema}}} MetricName=\"{metric_name}\" {term}', '{statistic}', {seconds})"
    return cloudwatch.SearchExpression(expression=expression, label="", period=period)


class ServiceDashboard(Construct):
    """One application in one environment: requests, 5xx, target response time and healthy hosts of its
    load balancer and target groups (blue and green), CPU and memory of its ECS service."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: Names,
        environment: str,
        app: str,
        service: BlueGreenService,
    ) -> None:
        super().__init__(scope, construct_id)
        rows = self._service_rows(app, service, names.service(app, environment))
        name = names(f"{app}-dashboard", environment, "AWS::CloudWatch::Dashboard")
        self.dashboard = _dashboard(self, name, SERVICE_INTERVAL, rows)

    @staticmethod
    def _service_rows(app: str, service: BlueGreenService, service_name: str) -> list[list[cloudwatch.IWidget]]:
        alb = service.load_balancer.metrics
        target_groups = {"blue": service.blue_target_group, "green": service.green_target_group}
        ecs = service.service
        return [
            [_header(f"### {app}: load balancer `{service.load_balancer_name}`, ECS service `{service_name}`")],
            [
                _graph("Requests", [alb.request_count(period=MINUTE, label="Requests")]),
                _graph(
                    "5xx responses",
                    [
                        alb.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=MINUTE, label="Targets"),
                        alb.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, period=MINUTE, label="Load balancer"),
                    ],
                ),
                _graph(
                    "Target response time (seconds)",
                    [
                        alb.target_response_time(statistic=statistic, period=MINUTE, label=statistic)
                        for statistic in ("p50", "p90", "p99")
                    ],
                ),
            ],
            [
                _graph(
                    "Healthy and unhealthy hosts",
                    [
                        metric
                        for color, target_group in target_groups.items()
                        for metric in (
                            target_group.metrics.healthy_host_count(
                                statistic="Minimum", period=MINUTE, label=f"{color} healthy"
                            ),
                            target_group.metrics.unhealthy_host_count(
                                statistic="Maximum", period=MINUTE, label=f"{color} unhealthy"
                            ),
                        )
                    ],
                ),
                _graph(
                    "ECS CPU utilization (%)",
                    [
                        ecs.metric_cpu_utilization(statistic=statistic, period=MINUTE, label=statistic)
                        for statistic in ("Average", "Maximum")
                    ],
                ),
                _graph(
                    "ECS memory utilization (%)",
                    [
                        ecs.metric_memory_utilization(statistic=statistic, period=MINUTE, label=statistic)
                        for statistic in ("Average", "Maximum")
                    ],
                ),
            ],
        ]


class EnvironmentOverview(Construct):
    """Every service of one environment at a glance, without listing them: SEARCH expressions over the
    environment's cluster and the load balancers named for it, one line per service."""

    def __init__(self, scope: Construct, construct_id: str, *, names: Names, environment: str) -> None:
        super().__init__(scope, construct_id)
        cluster = names.cluster(environment)
        balancers = _search_term("LoadBalancer", f"lb-{environment}-{names.suffix}")
        rows: list[list[cloudwatch.IWidget]] = [
            [_header(f"### Services of `{cluster}`: one line per service")],
            [
                _graph(
                    "Requests", [_search("AWS/ApplicationELB,LoadBalancer", "RequestCount", balancers, "Sum", MINUTE)]
                ),
                _graph(
                    "Target 5xx responses",
                    [_search("AWS/ApplicationELB,LoadBalancer", "HTTPCode_Target_5XX_Count", balancers, "Sum", MINUTE)],
                ),
                _graph(
                    "ECS CPU utilization, maximum (%)",
                    [
                        _search(
                            "AWS/ECS,ClusterName,ServiceName",
                            "CPUUtilization",
                            f'ClusterName="{cluster}"',
                            "Maximum",
                            MINUTE,
                        )
                    ],
                ),
            ],
        ]
        name = names("cicd-dashboard", environment, "AWS::CloudWatch::Dashboard")
        self.dashboard = _dashboard(self, name, SERVICE_INTERVAL, rows)
