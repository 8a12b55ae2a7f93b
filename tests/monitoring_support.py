"""Reading the monitoring resources of a synthesized system: intrinsics, dashboard bodies, event patterns,
input transformers and metric filter patterns, evaluated the way the AWS services would."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from moto.events.models import EventPattern

from stacks.config import AppConfig, load_config
from stacks.monitoring_stack import MonitoringStack
from stacks.naming import PIPELINE, Names
from tests.support import Synthesized, merged

ACCOUNT = "111111111111"
REGION = "us-east-1"
EXECUTION_ID = "3a8f6f6e-0c1d-4e2f-9a7b-1234567890ab"
ENVIRONMENTS = ("dev", "staging", "prod")
PIPELINE_NAME = "sample-pipeline-pipeline-dev"
PROJECTS = [
    "sample-build-pipeline-dev",
    "sample-test-pipeline-dev",
    "sample-deploy-dev-dev",
    "sample-deploy-staging-dev",
    "sample-deploy-prod-dev",
]
"""cdk.json's sample application: its pipeline and its build, test and deploy projects."""
GROUPS = {env: f"sample-deployment-group-{env}-dev" for env in ENVIRONMENTS}


@dataclass
class System:
    """Every template of one synthesis, with the monitoring stack's at hand."""

    synthesized: Synthesized
    config: AppConfig
    names: Names
    templates: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, synthesized: Synthesized) -> System:
        config = load_config(synthesized.app.node)
        templates = {name: synthesized.raw(name) for name in synthesized.stack_names}
        return cls(synthesized, config, Names(config.suffix), templates)

    @property
    def monitoring_stack(self) -> MonitoringStack:
        (stack,) = [stack for stack in self.synthesized.stacks if isinstance(stack, MonitoringStack)]
        return stack

    @property
    def monitoring(self) -> dict[str, Any]:
        return self.templates[self.names.stack("cicd-monitoring", PIPELINE)]

    def environment(self, env: str) -> dict[str, Any]:
        """The environment's shared stack and its service stacks, read as one."""
        stacks = [self.names.stack("cicd", env)] + [
            self.names.application_stack(a.name, env) for a in self.config.applications
        ]
        return merged({name: self.templates[name] for name in stacks})

    @property
    def pipeline_account(self) -> dict[str, Any]:
        """The monitoring, foundation and pipeline stacks, read as one."""
        names = [self.names.stack("cicd-monitoring", PIPELINE), self.names.stack("cicd-foundation", PIPELINE)]
        names += [self.names.application_stack(a.name, PIPELINE) for a in self.config.applications]
        return merged({name: self.templates[name] for name in names})

    def resources(self, cfn_type: str, template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        """Resources of `cfn_type` in `template`, or in every template (keyed `stack/logical ID`)."""
        templates = {"": template} if template is not None else self.templates
        return {
            f"{stack}/{logical}" if stack else logical: resource
            for stack, body in templates.items()
            for logical, resource in body["Resources"].items()
            if resource["Type"] == cfn_type
        }

    def named(self, template: dict[str, Any], cfn_type: str, prop: str, name: str) -> tuple[str, dict[str, Any]]:
        matches = [(k, r) for k, r in self.resources(cfn_type, template).items() if r["Properties"].get(prop) == name]
        assert len(matches) == 1, f"expected one {cfn_type} named {name}, found {[k for k, _ in matches]}"
        return matches[0]


# --- CloudFormation intrinsics -------------------------------------------------------------------


def resolve(value: Any) -> str:
    """A template value as text; references become placeholders that still read as JSON string content:
    `${Ref:X}`, `${GetAtt:X.Attr}`, `${Select:i:<inner>}`, `${Split:sep:<inner>}`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws"}.get(
                argument, f"${{Ref:{argument}}}"
            )
        if function == "Fn::GetAtt":
            return f"${{GetAtt:{'.'.join(argument)}}}"
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(resolve(part) for part in parts)
        if function == "Fn::Select":
            index, inner = argument
            return f"${{Select:{index}:{resolve(inner)}}}"
        if function == "Fn::Split":
            separator, inner = argument
            return f"${{Split:{separator}:{resolve(inner)}}}"
    raise ValueError(f"cannot resolve {value!r}")


def references(text: str) -> set[str]:
    """The logical IDs a resolved value refers to."""
    return set(re.findall(r"(?:Ref|GetAtt):([A-Za-z0-9]+)", text))


def dashboard_body(dashboard: dict[str, Any]) -> dict[str, Any]:
    return json.loads(resolve(dashboard["Properties"]["DashboardBody"]))


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
    def of(cls, system: System) -> Emitters:
        emitters = cls()
        for resource in system.resources("AWS::CodeBuild::Project").values():
            emitters.codebuild_projects.add(resource["Properties"]["Name"])
        for resource in system.resources("AWS::Logs::MetricFilter").values():
            for transformation in resource["Properties"]["MetricTransformations"]:
                key = (transformation["MetricNamespace"], transformation["MetricName"])
                emitters.filters[key] = {dimension["Key"] for dimension in transformation.get("Dimensions", [])}
        emitters.filter_values["Pipeline"] = {
            resource["Properties"]["Name"] for resource in system.resources("AWS::CodePipeline::Pipeline").values()
        }
        emitters.filter_values["DeploymentGroup"] = {
            resource["Properties"]["DeploymentGroupName"]
            for resource in system.resources("AWS::CodeDeploy::DeploymentGroup").values()
        }
        emitters.named = {
            **emitters.filter_values,
            "ProjectName": emitters.codebuild_projects,
            "ClusterName": {r["Properties"]["ClusterName"] for r in system.resources("AWS::ECS::Cluster").values()},
            "LoadBalancer": {
                r["Properties"]["Name"] for r in system.resources("AWS::ElasticLoadBalancingV2::LoadBalancer").values()
            },
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

        def of_type(value: str, cfn_type: str) -> bool:
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
                and (of_type(cluster, "AWS::ECS::Cluster") or cluster in self.named.get("ClusterName", ()))
                and of_type(dimensions["ServiceName"], "AWS::ECS::Service")
            )
            return (
                []
                if ok
                else ["ClusterName and ServiceName must name one of the app's clusters and this stack's service"]
            )
        load_balancer = dimensions.get("LoadBalancer", "")
        # A target group's metrics name its load balancer through a listener's ARN.
        listener_or_balancer = of_type(load_balancer, "AWS::ElasticLoadBalancingV2::LoadBalancer") or of_type(
            load_balancer, "AWS::ElasticLoadBalancingV2::Listener"
        )
        problems = [] if listener_or_balancer else ["LoadBalancer must refer to this stack's load balancer"]
        if "TargetGroup" in dimensions and not of_type(
            dimensions["TargetGroup"], "AWS::ElasticLoadBalancingV2::TargetGroup"
        ):
            problems.append("TargetGroup must refer to this stack's target group")
        if set(dimensions) - {"LoadBalancer", "TargetGroup"}:
            problems.append("only LoadBalancer and TargetGroup dimensions are expected")
        return problems


# --- EventBridge: patterns and input transformers ----------------------------------------------------


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether EventBridge delivers `event` to a rule with `pattern`, as moto's EventBridge judges it
    (exact values, nested objects, `suffix` and the other content filters)."""
    return EventPattern(json.dumps(pattern), pattern).matches_event(event)


def json_path(event: dict[str, Any], path: str) -> Any:
    value: Any = event
    for key in path.removeprefix("$.").split("."):
        value = value[key]
    return value


def transform(transformer: dict[str, Any], event: dict[str, Any]) -> Any:
    """What EventBridge delivers for `event`: InputPathsMap values put into the InputTemplate."""
    template = transformer["InputTemplate"]
    for key, path in transformer["InputPathsMap"].items():
        value = json_path(event, path)
        template = template.replace(f"<{key}>", json.dumps(value)[1:-1] if isinstance(value, str) else str(value))
    assert not re.search(r"<[A-Za-z0-9_-]+>", template), f"placeholder without a path: {template}"
    return json.loads(template)


def pipeline_event(detail_type: str, pipeline: str, state: str, **detail: Any) -> dict[str, Any]:
    """A CodePipeline execution state change as EventBridge delivers it."""
    return _event(
        "aws.codepipeline",
        detail_type,
        [f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{pipeline}"],
        {"pipeline": pipeline, "execution-id": EXECUTION_ID, "state": state, "version": 1, **detail},
    )


def build_event(project: str, status: str, pipeline: str) -> dict[str, Any]:
    build_id = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:build/{project}:0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"
    return _event(
        "aws.codebuild",
        "CodeBuild Build State Change",
        [build_id],
        {
            "build-status": status,
            "project-name": project,
            "build-id": build_id,
            "current-phase": "COMPLETED",
            "additional-information": {"initiator": f"codepipeline/{pipeline}", "build-complete": True},
        },
    )


def deployment_event(account: str, env: str, state: str, app: str = "sample", suffix: str = "dev") -> dict[str, Any]:
    """A CodeDeploy deployment state change of `app`'s deployment group in `env` (named as the system names it)."""
    application, group = f"{app}-codedeploy-app-{env}-{suffix}", f"{app}-deployment-group-{env}-{suffix}"
    return _event(
        "aws.codedeploy",
        "CodeDeploy Deployment State-change Notification",
        [f"arn:aws:codedeploy:{REGION}:{account}:deploymentgroup:{application}/{group}"],
        {
            "region": REGION,
            "application": application,
            "deploymentId": "d-ABCDEF123",
            "state": state,
            "deploymentGroup": group,
            "instanceGroupId": "9fd2fbef-2157-40d8-91e7-6845af69e2d2",
        },
        account=account,
    )


def _event(
    source: str, detail_type: str, resources: list[str], detail: dict[str, Any], account: str = ACCOUNT
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": "2026-01-01T12:00:00Z",
        "region": REGION,
        "resources": resources,
        "detail": detail,
    }


# --- CloudWatch Logs filter patterns -----------------------------------------------------------------

_TOKEN = re.compile(r'\s*(\(|\)|&&|\|\||\$\.[A-Za-z0-9_.-]+|=|NOT EXISTS|"[^"]*"|\{|\})')


def filter_matches(pattern: str, event: dict[str, Any]) -> bool:
    """Evaluate a JSON metric filter pattern of the forms the app uses (`$.a = "v"`, `$.a NOT EXISTS`,
    `&&`, `||`, parentheses) against a logged event."""
    tokens = _tokens(pattern)
    assert tokens[0] == "{" and tokens[-1] == "}", pattern
    position, result = _or(tokens, 1, event)
    assert position == len(tokens) - 1, f"unparsed rest of {pattern!r}: {tokens[position:]}"
    return result


def _tokens(pattern: str) -> list[str]:
    tokens, position = [], 0
    while position < len(pattern.rstrip()):
        match = _TOKEN.match(pattern, position)
        assert match, f"unexpected filter pattern syntax at {pattern[position:]!r}"
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def _or(tokens: list[str], position: int, event: dict[str, Any]) -> tuple[int, bool]:
    return _chain(tokens, position, event, "||", _and)


def _and(tokens: list[str], position: int, event: dict[str, Any]) -> tuple[int, bool]:
    return _chain(tokens, position, event, "&&", _term)


def _chain(tokens: list[str], position: int, event: dict[str, Any], operator: str, operand: Any) -> tuple[int, bool]:
    position, result = operand(tokens, position, event)
    while tokens[position] == operator:
        position, other = operand(tokens, position + 1, event)
        result = (result or other) if operator == "||" else (result and other)
    return position, result


def _term(tokens: list[str], position: int, event: dict[str, Any]) -> tuple[int, bool]:
    if tokens[position] == "(":
        position, result = _or(tokens, position + 1, event)
        assert tokens[position] == ")"
        return position + 1, result
    path = tokens[position]
    try:
        value = json_path(event, path)
        present = True
    except (KeyError, TypeError):
        value, present = None, False
    if tokens[position + 1] == "NOT EXISTS":
        return position + 2, not present
    assert tokens[position + 1] == "=", tokens[position:]
    return position + 3, present and value == json.loads(tokens[position + 2])
