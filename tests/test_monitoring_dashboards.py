"""The dashboards: what each shows, and that every metric they show is one something in the app emits."""

from __future__ import annotations

import pytest

from stacks.monitoring.metrics import NAMESPACE
from tests.monitoring_support import ENVIRONMENTS, PROJECTS, System
from tests.support import Synthesized
from tests.toolkit.dashboards import Emitters, MetricReference, dashboard_body, widget_metrics


@pytest.fixture(scope="module")
def built(system: Synthesized) -> System:
    return System.of(system)


@pytest.fixture(scope="module")
def emitters(built: System) -> Emitters:
    return Emitters.of(built.templates.values())


def dashboard(system: System, template: dict, name: str) -> dict:
    return dashboard_body(system.named(template, "AWS::CloudWatch::Dashboard", "DashboardName", name)[1])


def widget(body: dict, title: str) -> dict:
    (found,) = [w for w in body["widgets"] if w["properties"].get("title") == title]
    return found["properties"]


def test_every_dashboard_metric_is_emitted_by_something_in_the_app(built: System, emitters: Emitters) -> None:
    dashboards = 0
    for template in built.templates.values():
        for resource in built.resources("AWS::CloudWatch::Dashboard", template).values():
            dashboards += 1
            metrics = widget_metrics(dashboard_body(resource))
            assert metrics
            assert [problem for metric in metrics for problem in emitters.problems(metric, template)] == []
    # The pipeline account's overview and the application's delivery dashboard; in each environment its
    # overview and the application's service dashboard.
    assert dashboards == 2 + 2 * len(ENVIRONMENTS)


@pytest.mark.parametrize(
    ("metric", "problem"),
    [
        (MetricReference("w", "AWS/CodeBuild", "Durations", {"ProjectName": PROJECTS[0]}), "no such metric"),
        (MetricReference("w", "AWS/CodeBuild", "Duration", {"ProjectName": "sample-build-other"}), "ProjectName"),
        (MetricReference("w", "AWS/Lambda", "Errors", {"FunctionName": "f"}), "no resource type"),
        (MetricReference("w", NAMESPACE, "PipelineExecutionsStopped", {"Pipeline": "p"}), "no metric filter"),
        (MetricReference("w", "CICD/Other", "PipelineExecutionsFailed", {"Pipeline": "p"}), "no metric filter"),
        (MetricReference("w", NAMESPACE, "PipelineExecutionsFailed", {"Pipeline": "orders-pipeline"}), "named"),
        (
            MetricReference("w", NAMESPACE, "DeploymentsSucceeded", {"Pipeline": "sample-pipeline-pipeline-dev"}),
            "dimensions",
        ),
        (MetricReference("w", "AWS/ECS", "CPUUtilization", {"ClusterName": "c", "ServiceName": "s"}), "cluster"),
        (MetricReference("w", "AWS/ApplicationELB", "RequestCount", {"LoadBalancer": "app/x/1"}), "load balancer"),
    ],
)
def test_the_emitted_metric_check_rejects_metrics_nothing_emits(
    built: System, emitters: Emitters, metric: MetricReference, problem: str
) -> None:
    problems = emitters.problems(metric, built.environment("dev"))
    assert problems and problem in problems[0]


# --- an application's delivery dashboard (in its pipeline stack) -----------------------------------


@pytest.fixture(scope="module")
def delivery(built: System) -> dict:
    return dashboard(built, built.pipeline_account, "sample-dashboard-pipeline-dev")


def test_delivery_dashboard_shows_pipeline_success_rate_and_counts(delivery: dict) -> None:
    rate = widget(delivery, "Pipeline success rate (%)")
    assert rate["view"] == "singleValue" and rate["setPeriodToTimeRange"] is True
    ((expression,), *inputs) = rate["metrics"]
    assert expression["expression"] == "100 * (FILL(s0, 0)) / (FILL(s0, 0) + FILL(f0, 0))"
    assert {(m[1], m[-1]["id"]) for m in inputs} == {
        ("PipelineExecutionsSucceeded", "s0"),
        ("PipelineExecutionsFailed", "f0"),
    }
    counts = widget(delivery, "Pipeline executions per day")
    assert [(m[1], m[3], m[-1]["stat"]) for m in counts["metrics"]] == [
        ("PipelineExecutionsSucceeded", "sample-pipeline-pipeline-dev", "Sum"),
        ("PipelineExecutionsFailed", "sample-pipeline-pipeline-dev", "Sum"),
    ]


def test_delivery_dashboard_shows_build_duration_percentiles_and_outcomes_per_project(delivery: dict) -> None:
    durations = widget(delivery, "Build duration, p50 and p90 (seconds)")["metrics"]
    assert {(m[0], m[1], m[3], m[-1]["stat"]) for m in durations} == {
        ("AWS/CodeBuild", "Duration", project, stat) for project in PROJECTS for stat in ("p50", "p90")
    }
    outcomes = widget(delivery, "Builds succeeded and failed per project")
    assert outcomes["view"] == "bar"
    assert {(m[1], m[3]) for m in outcomes["metrics"]} == {
        (name, project) for project in PROJECTS for name in ("SucceededBuilds", "FailedBuilds")
    }


def test_delivery_dashboard_shows_deployment_success_rate_per_environment(delivery: dict) -> None:
    rates = widget(delivery, "Deployment success rate per environment (%)")["metrics"]
    expressions = {m[0]["label"]: m[0]["expression"] for m in rates if isinstance(m[0], dict)}
    assert expressions == {
        f"{env} (%)": f"100 * (FILL({env}s0, 0)) / (FILL({env}s0, 0) + FILL({env}f0, 0))" for env in ENVIRONMENTS
    }
    inputs = {m[-1]["id"]: (m[1], m[3]) for m in rates if not isinstance(m[0], dict)}
    assert inputs == {
        f"{env}{kind}0": (metric, f"sample-deployment-group-{env}-dev")
        for env in ENVIRONMENTS
        for kind, metric in (("s", "DeploymentsSucceeded"), ("f", "DeploymentsRolledBack"))
    }


def test_delivery_dashboard_lists_recent_failures_by_stage_and_action(built: System, delivery: dict) -> None:
    log_group = built.named(
        built.monitoring, "AWS::Logs::LogGroup", "LogGroupName", "/aws/events/delivery-events-pipeline-dev"
    )[0]
    query = widget(delivery, "Recent failures by stage and action")["query"]
    log_group_name = built.monitoring["Resources"][log_group]["Properties"]["LogGroupName"]
    assert query.startswith(f"SOURCE '{log_group_name}' | ")  # the monitoring stack's, by name
    assert (
        "filter `detail-type` = 'CodePipeline Action Execution State Change' and detail.state = 'FAILED' "
        "and detail.pipeline = 'sample-pipeline-pipeline-dev'"
    ) in query
    assert "by pipeline, stage, action" in query and "sort last_failure desc" in query


def test_delivery_dashboard_shows_every_alarm_of_the_application(built: System, delivery: dict) -> None:
    template = built.templates["cicd-pipeline-sample-dev"]
    alarms = set(built.resources("AWS::CloudWatch::Alarm", template))
    shown = widget(delivery, "Alarms")["alarms"]
    assert len(alarms) == 4  # repeated pipeline failures; a rollback in each environment
    assert {arn.removeprefix("${GetAtt:").removesuffix(".Arn}") for arn in shown} == alarms


# --- the overviews: every application without listing them ----------------------------------------


def test_pipeline_account_overview_searches_every_applications_metrics(built: System, emitters: Emitters) -> None:
    body = dashboard(built, built.monitoring, "cicd-dashboard-pipeline-dev")
    searched = widget_metrics(body)
    assert all(metric.search for metric in searched)
    assert {(m.namespace, m.name, tuple(m.dimensions.values())) for m in searched} == {
        *((NAMESPACE, name, ("pipeline dev",)) for name in ("PipelineExecutionsFailed", "PipelineExecutionsSucceeded")),
        *((NAMESPACE, name, ("deployment group dev",)) for name in ("DeploymentsRolledBack", "DeploymentsSucceeded")),
        *(
            ("AWS/CodeBuild", name, (terms,))
            for name in ("FailedBuilds", "Duration")
            for terms in ("build pipeline dev", "test pipeline dev", "deploy dev")
        ),
    }
    # The terms find the application's resources and no other copy's (suffix `pr7`).
    assert [problem for metric in searched for problem in emitters.search_problems(metric)] == []
    other_copy = Emitters(named={"Pipeline": {"sample-pipeline-pipeline-pr7"}}, filters=emitters.filters)
    pipelines = next(m for m in searched if m.name == "PipelineExecutionsFailed")
    assert other_copy.search_problems(pipelines)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_overview_searches_every_service_of_the_cluster(
    built: System, emitters: Emitters, env: str
) -> None:
    body = dashboard(built, built.environment(env), f"cicd-dashboard-{env}-dev")
    searched = widget_metrics(body)
    assert {(m.namespace, m.name, tuple(m.dimensions.items())) for m in searched} == {
        ("AWS/ApplicationELB", "RequestCount", (("LoadBalancer", " ".join(dict.fromkeys(("lb", env, "dev")))),)),
        (
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            (("LoadBalancer", " ".join(dict.fromkeys(("lb", env, "dev")))),),
        ),
        ("AWS/ECS", "CPUUtilization", (("ClusterName", f'"ecs-cluster-{env}-dev"'), ("ServiceName", ""))),
    }
    assert [problem for metric in searched for problem in emitters.search_problems(metric)] == []


# --- each environment's service dashboard ----------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_service_dashboard_shows_load_balancer_and_ecs_health(built: System, env: str) -> None:
    template = built.environment(env)
    body = dashboard(built, template, f"sample-dashboard-{env}-dev")
    shown = {(m.namespace, m.name, tuple(sorted(m.dimensions))) for m in widget_metrics(body)}
    alb, target_group, ecs = ("LoadBalancer",), ("LoadBalancer", "TargetGroup"), ("ClusterName", "ServiceName")
    assert shown == {
        ("AWS/ApplicationELB", "RequestCount", alb),
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", alb),
        ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", alb),
        ("AWS/ApplicationELB", "TargetResponseTime", alb),
        ("AWS/ApplicationELB", "HealthyHostCount", target_group),
        ("AWS/ApplicationELB", "UnHealthyHostCount", target_group),
        ("AWS/ECS", "CPUUtilization", ecs),
        ("AWS/ECS", "MemoryUtilization", ecs),
    }
    target_groups = {m.dimensions["TargetGroup"] for m in widget_metrics(body) if "TargetGroup" in m.dimensions}
    assert len(target_groups) == 2  # blue and green
