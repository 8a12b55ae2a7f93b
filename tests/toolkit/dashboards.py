"""Dashboards: which metrics (and SEARCH expressions) they show, and whether anything in the app emits them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.toolkit.references import references, render


def dashboard_body(dashboard: dict[str, Any]) -> dict[str, Any]:
    return json.loads(render(dashboard["Properties"]["DashboardBody"]))


# --- dashboards: which metrics they show, and whether anything emits them ---------------------------


@dataclass(frozen=True)
class MetricReference:
    widget: str
    namespace: str
    name: str
    dimensions: dict[str, str]
    """Dimension -> value; for a SEARCH expression, dimension -> the term it matches (`"exact"` or tokens)."""
    search: bool = False


SEARCH = re.compile(r"^SEARCH\('\{(?P<schema>[^}]*)\} MetricName=\"(?P<name>[^\"]+)\" (?P<term>[^']*)', '\w+', \d+\)$")


def _searched(widget: str, expression: str) -> MetricReference:
    """What a SEARCH expression of the app asks for: a namespace, a metric name, its dimensions, and for
    each the exact value (`"..."`) or the tokens (`Dim=token`, CloudWatch's partial match) it must have."""
    found = SEARCH.match(expression)
    assert found, f"{widget}: not a SEARCH expression of the form the app writes: {expression}"
    namespace, *dimensions = found["schema"].split(",")
    terms: dict[str, list[str]] = {dimension: [] for dimension in dimensions}
    for term in found["term"].split():
        dimension, value = term.split("=", 1)
        terms[dimension].append(value)
    return MetricReference(widget, namespace, found["name"], {k: " ".join(v) for k, v in terms.items()}, search=True)


def widget_metrics(body: dict[str, Any]) -> list[MetricReference]:
    """Every metric of every widget, and what each SEARCH expression looks for (math expressions are
    skipped: their inputs are listed as metrics too)."""
    found = []
    for widget in body["widgets"]:
        title = widget.get("properties", {}).get("title", "")
        for entry in widget.get("properties", {}).get("metrics", []):
            values = [item for item in entry if not isinstance(item, dict)]
            expression = next((item.get("expression", "") for item in entry if isinstance(item, dict)), "")
            if expression.startswith("SEARCH("):
                found.append(_searched(title, expression))
            if not values:
                continue
            namespace, name, *pairs = values
            assert namespace != "." and name != ".", "shorthand metric rows are not expected from CDK"
            found.append(
                MetricReference(
                    widget["properties"].get("title", ""),
                    namespace,
                    name,
                    dict(zip(pairs[::2], pairs[1::2], strict=True)),
                )
            )
    return found


AWS_METRICS = {
    "AWS/CodeBuild": ("AWS::CodeBuild::Project", {"Duration", "BuildDuration", "SucceededBuilds", "FailedBuilds"}),
    "AWS/ApplicationELB": (
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {
            "RequestCount",
            "HTTPCode_Target_5XX_Count",
            "HTTPCode_ELB_5XX_Count",
            "TargetResponseTime",
            "HealthyHostCount",
            "UnHealthyHostCount",
        },
    ),
    "AWS/ECS": ("AWS::ECS::Service", {"CPUUtilization", "MemoryUtilization"}),
}
"""AWS namespaces the dashboards may show, the resource type that makes AWS publish them, and the metrics
AWS publishes there for it."""
AWS_SEARCH_DIMENSIONS = {
    "AWS/CodeBuild": {"ProjectName"},
    "AWS/ApplicationELB": {"LoadBalancer"},
    "AWS/ECS": {"ClusterName", "ServiceName"},
}


def _satisfies(name: str, term: str) -> bool:
    """CloudWatch SEARCH: `"exact"` matches the whole value, bare tokens each match one of its tokens."""
    if term.startswith('"'):
        return name == term.strip('"')
    tokens = set(re.split(r"[^A-Za-z0-9]+", name))
    return all(token in tokens for token in term.split())


@dataclass
class Emitters:
    """What the synthesized app emits: resources publishing AWS metrics, and its metric filters' metrics."""

    codebuild_projects: set[str] = field(default_factory=set)
    named: dict[str, set[str]] = field(default_factory=dict)
    """Dimension -> the names the app's resources give it: what a SEARCH expression can find."""
    filters: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    """(namespace, metric name) -> dimension names, from every metric filter of the app."""
    filter_values: dict[str, set[str]] = field(default_factory=dict)
    """Dimension name -> the values the app's resources can give it (pipeline and deployment group names)."""

    @classmethod
    def of(cls, templates: Iterable[dict[str, Any]]) -> Emitters:
        """What the app's `templates` (every stack's) emit."""
        resources: dict[str, list[dict[str, Any]]] = {}
        for template in templates:
            for body in template["Resources"].values():
                resources.setdefault(body["Type"], []).append(body.get("Properties") or {})
        names = {
            cfn_type: {properties.get(prop) for properties in resources.get(cfn_type, [])}
            for cfn_type, prop in (
                ("AWS::CodeBuild::Project", "Name"),
                ("AWS::CodePipeline::Pipeline", "Name"),
                ("AWS::CodeDeploy::DeploymentGroup", "DeploymentGroupName"),
                ("AWS::ECS::Cluster", "ClusterName"),
                ("AWS::ElasticLoadBalancingV2::LoadBalancer", "Name"),
            )
        }
        emitters = cls(codebuild_projects=names["AWS::CodeBuild::Project"])
        for properties in resources.get("AWS::Logs::MetricFilter", []):
            for transformation in properties["MetricTransformations"]:
                key = (transformation["MetricNamespace"], transformation["MetricName"])
                emitters.filters[key] = {dimension["Key"] for dimension in transformation.get("Dimensions", [])}
        emitters.filter_values = {
            "Pipeline": names["AWS::CodePipeline::Pipeline"],
            "DeploymentGroup": names["AWS::CodeDeploy::DeploymentGroup"],
        }
        emitters.named = {
            **emitters.filter_values,
            "ProjectName": emitters.codebuild_projects,
            "ClusterName": names["AWS::ECS::Cluster"],
            "LoadBalancer": names["AWS::ElasticLoadBalancingV2::LoadBalancer"],
        }
        return emitters

    def search_problems(self, metric: MetricReference) -> list[str]:
        """Why a SEARCH expression would find nothing the app emits: an unknown metric or dimension set,
        or a term no resource's name satisfies (a dimension left open, like ServiceName, needs none)."""
        where = f"{metric.widget!r}: SEARCH {metric.namespace}/{metric.name} {metric.dimensions}"
        if metric.namespace in AWS_METRICS:
            expected = AWS_SEARCH_DIMENSIONS[metric.namespace]
            if metric.name not in AWS_METRICS[metric.namespace][1] or set(metric.dimensions) != expected:
                return [f"{where}: AWS publishes no such metric with dimensions {sorted(expected)}"]
        elif self.filters.get((metric.namespace, metric.name)) != set(metric.dimensions):
            return [f"{where}: no metric filter of the app produces this metric with these dimensions"]
        problems = []
        for dimension, term in metric.dimensions.items():
            if term and not any(_satisfies(name, term) for name in self.named.get(dimension, ())):
                problems.append(f"{where}: no resource of the app gives {dimension} a value matching {term!r}")
        return problems

    def problems(self, metric: MetricReference, template: dict[str, Any]) -> list[str]:
        """Why nothing in the app would emit `metric` as the dashboard in `template` asks for it."""
        if metric.search:
            return self.search_problems(metric)
        where = f"{metric.widget!r}: {metric.namespace}/{metric.name} {metric.dimensions}"
        if metric.namespace in AWS_METRICS:
            cfn_type, names = AWS_METRICS[metric.namespace]
            if metric.name not in names:
                return [f"{where}: AWS publishes no such metric for {cfn_type}"]
            return [f"{where}: {problem}" for problem in self._aws_dimensions(metric, template)]
        if metric.namespace.startswith("AWS/"):
            return [f"{where}: no resource type of the app is known to publish to {metric.namespace}"]
        dimensions = self.filters.get((metric.namespace, metric.name))
        if dimensions is None:
            return [f"{where}: no metric filter of the app produces this metric"]
        problems = []
        if set(metric.dimensions) != dimensions:
            problems.append(f"{where}: the metric filter gives dimensions {sorted(dimensions)}")
        for key, value in metric.dimensions.items():
            if value not in self.filter_values.get(key, set()):
                problems.append(f"{where}: no resource of the app is named {value!r}")
        return problems

    def _aws_dimensions(self, metric: MetricReference, template: dict[str, Any]) -> list[str]:
        resources = template["Resources"]

        def refers_to(value: str, cfn_type: str) -> bool:
            targets = references(value)
            return bool(targets) and all(resources.get(t, {}).get("Type") == cfn_type for t in targets)

        dimensions = metric.dimensions
        if metric.namespace == "AWS/CodeBuild":
            ok = set(dimensions) == {"ProjectName"} and dimensions["ProjectName"] in self.codebuild_projects
            return [] if ok else ["ProjectName must name one of the app's CodeBuild projects"]
        if metric.namespace == "AWS/ECS":
            cluster = dimensions.get("ClusterName", "")
            ok = (
                set(dimensions) == {"ClusterName", "ServiceName"}
                and (refers_to(cluster, "AWS::ECS::Cluster") or cluster in self.named.get("ClusterName", ()))
                and refers_to(dimensions["ServiceName"], "AWS::ECS::Service")
            )
            return (
                []
                if ok
                else ["ClusterName and ServiceName must name one of the app's clusters and this stack's service"]
            )
        load_balancer = dimensions.get("LoadBalancer", "")
        # A target group's metrics name its load balancer through a listener's ARN.
        listener_or_balancer = refers_to(load_balancer, "AWS::ElasticLoadBalancingV2::LoadBalancer") or refers_to(
            load_balancer, "AWS::ElasticLoadBalancingV2::Listener"
        )
        problems = [] if listener_or_balancer else ["LoadBalancer must refer to this stack's load balancer"]
        if "TargetGroup" in dimensions and not refers_to(
            dimensions["TargetGroup"], "AWS::ElasticLoadBalancingV2::TargetGroup"
        ):
            problems.append("TargetGroup must refer to this stack's target group")
        if set(dimensions) - {"LoadBalancer", "TargetGroup"}:
            problems.append("only LoadBalancer and TargetGroup dimensions are expected")
        return problems
