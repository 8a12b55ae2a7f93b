"""The monitoring stack (pipeline account) as cdk.json configures it: alerts, event bus, event log, metric
filters and alarms. Events are the services' documented shapes; patterns, input transformers and metric
filter patterns are evaluated against them the way EventBridge and CloudWatch Logs would."""

from __future__ import annotations

import fnmatch
import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events

from stacks.config import parse_config
from stacks.monitoring.event_bus import foreign_target_accounts
from stacks.monitoring.metrics import NAMESPACE
from stacks.monitoring.watched import physical_name
from tests.monitoring_support import ACCOUNT, GROUPS, PIPELINE_NAME, PROJECTS, REGION, System
from tests.support import Synthesized
from tests.toolkit.events import EXECUTION_ID, build_event, deployment_event, matches, pipeline_event, transform
from tests.toolkit.log_filters import filter_matches
from tests.toolkit.references import render

OTHER_COPY = "sample-pipeline-pipeline-pr7"
"""A pipeline of another copy of the system (another suffix) in the same account."""
CONSOLE = "https://console.aws.amazon.com/codesuite"
EXECUTION_LINK = f"{CONSOLE}/codepipeline/pipelines/{PIPELINE_NAME}/executions/{EXECUTION_ID}/timeline?region={REGION}"
ACTION = "CodePipeline Action Execution State Change"
STAGE = "CodePipeline Stage Execution State Change"
EXECUTION = "CodePipeline Pipeline Execution State Change"


@pytest.fixture(scope="module")
def built(system: Synthesized) -> System:
    return System.of(system)


ALERTS_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts-topic-pipeline-dev"
"""The monitoring stack's topic, as an application's alarms name it."""


def rule(built: System, name: str) -> dict:
    return built.named(built.monitoring, "AWS::Events::Rule", "Name", name)[1]["Properties"]


def logical_id(built: System, cfn_type: str, prop: str, name: str) -> str:
    return built.named(built.monitoring, cfn_type, prop, name)[0]


# --- the stack ------------------------------------------------------------------------------------


def test_monitoring_stack_lives_in_the_pipeline_account_and_deploys_before_the_environments(
    built: System,
) -> None:
    """First after the accounts' deploy-time guards, which judge it."""
    stack = built.monitoring_stack
    assert (stack.stack_name, stack.account, stack.region) == ("cicd-monitoring-pipeline-dev", ACCOUNT, REGION)
    guards = [s for s in built.synthesized.stacks if s.stack_name.startswith("cicd-guard-")]
    assert built.synthesized.stacks[len(guards)] is stack
    for env in built.config.environments:
        environment = next(s for s in built.synthesized.stacks if s.stack_name == f"cicd-{env.name}-dev")
        assert stack in environment.dependencies


def test_monitoring_refers_to_the_pipeline_stack_by_name_only(built: System) -> None:
    assert "Fn::ImportValue" not in json.dumps(built.monitoring)


def test_pipelines_are_watched_by_their_literal_names(built: System) -> None:
    pipeline_stack = next(s for s in built.synthesized.stacks if s.stack_name == "cicd-pipeline-sample-dev")
    sample = pipeline_stack.pipeline
    assert physical_name(sample.pipeline) == PIPELINE_NAME
    assert [physical_name(project) for project in sample.projects] == PROJECTS
    unnamed = events.Rule(
        cdk.Stack(cdk.App(), "Scratch"), "Unnamed", schedule=events.Schedule.rate(cdk.Duration.days(1))
    )
    with pytest.raises(ValueError, match="no literal name"):
        physical_name(unnamed)


# --- alerts topic ---------------------------------------------------------------------------------


def test_alerts_topic_is_tls_only_with_the_configured_email_subscriptions(built: System) -> None:
    topic_id, topic = built.named(built.monitoring, "AWS::SNS::Topic", "TopicName", "alerts-topic-pipeline-dev")
    subscriptions = built.resources("AWS::SNS::Subscription", built.monitoring).values()
    assert sorted(s["Properties"]["Endpoint"] for s in subscriptions) == ["platform-alerts@example.com"]
    assert {s["Properties"]["Protocol"] for s in subscriptions} == {"email"}
    assert all(s["Properties"]["TopicArn"] == {"Ref": topic_id} for s in subscriptions)
    (policy,) = built.resources("AWS::SNS::TopicPolicy", built.monitoring).values()
    deny = next(s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Principal"] == "*"
    skips = topic["Metadata"]["checkov"]["skip"]
    assert [skip["id"] for skip in skips] == ["CKV_AWS_26"] and "customer managed KMS key" in skips[0]["comment"]


def test_only_the_alert_rules_and_alarms_may_publish_to_the_alerts_topic(built: System) -> None:
    (policy,) = built.resources("AWS::SNS::TopicPolicy", built.monitoring).values()
    allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    by_service = {statement["Principal"]["Service"]: statement for statement in allows}
    assert set(by_service) == {"events.amazonaws.com", "cloudwatch.amazonaws.com"}
    rules = {k for k, r in built.resources("AWS::Events::Rule", built.monitoring).items() if "alert" in k.lower()}
    statement = by_service["events.amazonaws.com"]
    assert statement["Action"] == "sns:Publish"
    arns = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert {arn["Fn::GetAtt"][0] for arn in arns} == rules and len(rules) == 5
    # The applications' alarms live in their pipeline stacks: admitted by the ARN their names end with.
    statement = by_service["cloudwatch.amazonaws.com"]
    assert statement["Action"] == "sns:Publish"
    patterns = [render(arn) for arn in statement["Condition"]["ArnLike"]["aws:SourceArn"]]
    alarm = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:"
    assert patterns == [f"{alarm}*-pipeline-failures-alarm-pipeline-dev"] + [
        f"{alarm}*-rollback-alarm-{env}-dev" for env in GROUPS
    ]
    alarms = [
        a["Properties"]
        for a in built.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("AlarmActions")
    ]
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts-topic-pipeline-dev"
    publishing = [a["AlarmName"] for a in alarms if topic_arn in map(render, a["AlarmActions"])]
    assert len(publishing) == 4
    for name in publishing:
        assert [p for p in patterns if fnmatch.fnmatchcase(alarm + name, p)], name
    assert not fnmatch.fnmatchcase(f"{alarm}sample-rollback-alarm-dev-pr7", patterns[1])


# --- alert rules: pattern, target, readable sentence ------------------------------------------------

ALERTS = {
    "pipeline-failed-alert-rule-pipeline-dev": (
        {"source": ["aws.codepipeline"], "detail-type": [EXECUTION], "detail": {"state": ["FAILED"]}},
        pipeline_event(EXECUTION, PIPELINE_NAME, "FAILED"),
        [f"Pipeline {PIPELINE_NAME} failed", f"execution {EXECUTION_ID}", EXECUTION_LINK],
    ),
    "stage-failed-alert-rule-pipeline-dev": (
        {"source": ["aws.codepipeline"], "detail-type": [STAGE], "detail": {"state": ["FAILED"]}},
        pipeline_event(STAGE, PIPELINE_NAME, "FAILED", stage="Deploy"),
        [f"Pipeline {PIPELINE_NAME}: stage Deploy failed in execution {EXECUTION_ID}", EXECUTION_LINK],
    ),
    "action-failed-alert-rule-pipeline-dev": (
        {"source": ["aws.codepipeline"], "detail-type": [ACTION], "detail": {"state": ["FAILED"]}},
        pipeline_event(ACTION, PIPELINE_NAME, "FAILED", stage="Test", action="TestImage", type={"category": "Test"}),
        [
            f"Pipeline {PIPELINE_NAME}: action TestImage of stage Test failed in execution {EXECUTION_ID}",
            EXECUTION_LINK,
        ],
    ),
    "build-failed-alert-rule-pipeline-dev": (
        {
            "source": ["aws.codebuild"],
            "detail-type": ["CodeBuild Build State Change"],
            "detail": {
                "project-name": [
                    {"suffix": ending}
                    for ending in ("-build-pipeline-dev", "-test-pipeline-dev", *(f"-deploy-{e}-dev" for e in GROUPS))
                ],
                "build-status": ["FAILED", "FAULT", "TIMED_OUT"],
            },
        },
        build_event("sample-build-pipeline-dev", "TIMED_OUT", PIPELINE_NAME),
        [
            "CodeBuild project sample-build-pipeline-dev ended with status TIMED_OUT",
            f"started by codepipeline/{PIPELINE_NAME}",
            f"{CONSOLE}/codebuild/projects/sample-build-pipeline-dev/history?region={REGION}",
        ],
    ),
    "approval-needed-alert-rule-pipeline-dev": (
        {
            "source": ["aws.codepipeline"],
            "detail-type": [ACTION],
            "detail": {"state": ["STARTED"], "type": {"category": ["Approval"]}},
        },
        pipeline_event(
            ACTION,
            PIPELINE_NAME,
            "STARTED",
            stage="Deploy",
            action="ApproveStaging",
            type={"owner": "AWS", "provider": "Manual", "category": "Approval", "version": "1"},
        ),
        [
            f"Pipeline {PIPELINE_NAME} is waiting for approval ApproveStaging in stage Deploy",
            f"execution {EXECUTION_ID}",
            f"{CONSOLE}/codepipeline/pipelines/{PIPELINE_NAME}/view?region={REGION}",
        ],
    ),
}
"""Rule name -> (event pattern, besides the pipeline names; a matching event; what its e-mail must say)."""

NOT_ALERTED = [
    pipeline_event(EXECUTION, PIPELINE_NAME, "SUCCEEDED"),
    pipeline_event(EXECUTION, OTHER_COPY, "FAILED"),
    pipeline_event(STAGE, PIPELINE_NAME, "SUCCEEDED", stage="Build"),
    pipeline_event(ACTION, PIPELINE_NAME, "STARTED", stage="Build", action="BuildImage", type={"category": "Build"}),
    pipeline_event(ACTION, OTHER_COPY, "STARTED", stage="Deploy", action="Approve", type={"category": "Approval"}),
    build_event("sample-build-pipeline-dev", "SUCCEEDED", PIPELINE_NAME),
    build_event("sample-build-pipeline-pr7", "FAILED", OTHER_COPY),
]


@pytest.mark.parametrize("name", ALERTS)
def test_alert_rule_pattern_and_target(built: System, name: str) -> None:
    expected, _, _ = ALERTS[name]
    properties = rule(built, name)
    pattern = properties["EventPattern"]
    if expected["source"] == ["aws.codepipeline"]:  # every application's pipeline, by how its name ends
        expected = {**expected, "detail": {"pipeline": [{"suffix": "-pipeline-pipeline-dev"}], **expected["detail"]}}
    assert pattern == expected
    assert "EventBusName" not in properties  # the account's default bus, where the services publish
    (target,) = properties["Targets"]
    topic = logical_id(built, "AWS::SNS::Topic", "TopicName", "alerts-topic-pipeline-dev")
    assert target["Arn"] == {"Ref": topic}
    assert "RoleArn" not in target  # SNS authorizes EventBridge through the topic policy


@pytest.mark.parametrize("name", ALERTS)
def test_alert_email_is_one_sentence_with_pipeline_stage_execution_and_console_link(built: System, name: str) -> None:
    _, event, phrases = ALERTS[name]
    (target,) = rule(built, name)["Targets"]
    transformer = target["InputTransformer"]
    assert set(transformer) == {"InputPathsMap", "InputTemplate"}
    assert all(path.startswith("$.") for path in transformer["InputPathsMap"].values())
    used = {key for key in transformer["InputPathsMap"] if f"<{key}>" in transformer["InputTemplate"]}
    assert used == set(transformer["InputPathsMap"])
    message = transform(transformer, event)
    assert isinstance(message, str) and "{" not in message and message.endswith(phrases[-1])
    for phrase in phrases:
        assert phrase in message


@pytest.mark.parametrize("name", ALERTS)
def test_each_alert_fires_for_its_event_only(built: System, name: str) -> None:
    alert_rules = {other: rule(built, other)["EventPattern"] for other in ALERTS}
    _, event, _ = ALERTS[name]
    assert [other for other, pattern in alert_rules.items() if matches(pattern, event)] == [name]
    assert [e for e in NOT_ALERTED if matches(alert_rules[name], e)] == []


def test_build_failures_and_timeouts_of_every_project_alert(built: System) -> None:
    pattern = rule(built, "build-failed-alert-rule-pipeline-dev")["EventPattern"]
    for project in PROJECTS:
        for status in ("FAILED", "TIMED_OUT"):
            assert matches(pattern, build_event(project, status, PIPELINE_NAME))


# --- the deployment event bus ---------------------------------------------------------------------


def test_event_bus_accepts_codedeploy_events_from_the_other_target_accounts_only(built: System) -> None:
    """The policy is the bus's own Policy property: no AWS::Events::EventBusPolicy, whose deprecated
    Principal property cdk-nag reads (and jsii warns about on every synth)."""
    assert built.resources("AWS::Events::EventBusPolicy", built.monitoring) == {}
    _, bus = built.named(built.monitoring, "AWS::Events::EventBus", "Name", "cicd-event-bus-pipeline-dev")
    (statement,) = bus["Properties"]["Policy"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == "arn:aws:events:us-east-1:111111111111:event-bus/cicd-event-bus-pipeline-dev"
    # dev shares the pipeline account: its forwarding role needs no grant from the bus.
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"]}
    assert statement["Condition"] == {
        "ForAllValues:StringEquals": {"events:source": ["aws.codedeploy"]},
        "StringEquals": {"events:detail-type": "CodeDeploy Deployment State-change Notification"},
    }


@pytest.mark.parametrize(
    ("accounts", "foreign"),
    [
        ({"pipelineAccount": "444444444444"}, ("111111111111", "222222222222", "333333333333")),
        ({}, ("222222222222", "333333333333")),
        ({"stagingAccount": "111111111111", "prodAccount": "111111111111"}, ()),
    ],
)
def test_bus_policy_principals_are_the_target_accounts_outside_the_pipeline_account(
    accounts: dict[str, str], foreign: tuple[str, ...]
) -> None:
    context = {
        "devAccount": "111111111111",
        "stagingAccount": "222222222222",
        "prodAccount": "333333333333",
        "approvalEmails": ["a@example.com"],
        "alertEmails": ["b@example.com"],
        "applications": [{"name": "sample"}],
        **accounts,
    }
    assert foreign_target_accounts(parse_config(context, "dev")) == foreign


# --- the event log and its metric filters ----------------------------------------------------------


def test_events_log_group_is_named_for_eventbridge_kept_three_months_and_destroyable(built: System) -> None:
    _, log_group = built.named(
        built.monitoring, "AWS::Logs::LogGroup", "LogGroupName", "/aws/events/delivery-events-pipeline-dev"
    )
    assert log_group["Properties"]["RetentionInDays"] == 90
    assert log_group["DeletionPolicy"] == "Delete"


def test_log_rules_send_pipeline_outcomes_and_forwarded_deployments_to_the_log_group(built: System) -> None:
    log_group = logical_id(built, "AWS::Logs::LogGroup", "LogGroupName", "/aws/events/delivery-events-pipeline-dev")
    log_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:${{Ref:{log_group}}}"  # the group's ARN without `:*`
    bus_id = logical_id(built, "AWS::Events::EventBus", "Name", "cicd-event-bus-pipeline-dev")
    policy_id = logical_id(built, "AWS::Logs::ResourcePolicy", "PolicyName", "delivery-events-log-policy-pipeline-dev")
    pipelines = built.named(built.monitoring, "AWS::Events::Rule", "Name", "pipeline-events-log-rule-pipeline-dev")
    deployments = built.named(built.monitoring, "AWS::Events::Rule", "Name", "deployment-events-log-rule-pipeline-dev")
    outcomes = ["SUCCEEDED", "FAILED", "STOPPED", "SUPERSEDED", "CANCELED"]
    assert pipelines[1]["Properties"]["EventPattern"] == {
        "source": ["aws.codepipeline"],
        "detail-type": [EXECUTION, STAGE, ACTION],
        "detail": {"pipeline": [{"suffix": "-pipeline-pipeline-dev"}], "state": outcomes},
    }
    assert "EventBusName" not in pipelines[1]["Properties"]
    assert deployments[1]["Properties"]["EventPattern"] == {
        "source": ["aws.codedeploy"],
        "detail-type": ["CodeDeploy Deployment State-change Notification"],
        "detail": {
            "deploymentGroup": [{"suffix": f"-deployment-group-{env}-dev"} for env in GROUPS],
            "state": ["SUCCESS", "FAILURE", "STOP"],
        },
    }
    assert deployments[1]["Properties"]["EventBusName"] == {"Ref": bus_id}
    for _, resource in (pipelines, deployments):
        (target,) = resource["Properties"]["Targets"]
        assert render(target["Arn"]) == log_arn and set(target) == {"Arn", "Id"}
        assert policy_id in resource["DependsOn"]


def test_log_group_policy_lets_eventbridge_write_that_log_group_only(built: System) -> None:
    _, policy = built.named(
        built.monitoring, "AWS::Logs::ResourcePolicy", "PolicyName", "delivery-events-log-policy-pipeline-dev"
    )
    log_group = logical_id(built, "AWS::Logs::LogGroup", "LogGroupName", "/aws/events/delivery-events-pipeline-dev")
    document = json.loads(
        "".join(
            part if isinstance(part, str) else f"<{part['Fn::GetAtt'][0]}>"
            for part in policy["Properties"]["PolicyDocument"]["Fn::Join"][1]
        )
    )
    (statement,) = document["Statement"]
    assert statement["Principal"] == {"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]}
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == f"<{log_group}>"


METRIC_FILTERS = {
    "pipeline-succeeded-filter-pipeline-dev": (
        '{ ($.source = "aws.codepipeline") && ($.detail.state = "SUCCEEDED") && ($.detail.stage NOT EXISTS) }',
        "PipelineExecutionsSucceeded",
        ("Pipeline", "$.detail.pipeline"),
    ),
    "pipeline-failed-filter-pipeline-dev": (
        '{ ($.source = "aws.codepipeline") && ($.detail.state = "FAILED") && ($.detail.stage NOT EXISTS) }',
        "PipelineExecutionsFailed",
        ("Pipeline", "$.detail.pipeline"),
    ),
    "deployment-succeeded-filter-pipeline-dev": (
        '{ ($.source = "aws.codedeploy") && ($.detail.state = "SUCCESS") }',
        "DeploymentsSucceeded",
        ("DeploymentGroup", "$.detail.deploymentGroup"),
    ),
    "deployment-rolled-back-filter-pipeline-dev": (
        '{ ($.source = "aws.codedeploy") && (($.detail.state = "FAILURE") || ($.detail.state = "STOP")) }',
        "DeploymentsRolledBack",
        ("DeploymentGroup", "$.detail.deploymentGroup"),
    ),
}


@pytest.mark.parametrize("name", METRIC_FILTERS)
def test_metric_filter_pattern_and_metric(built: System, name: str) -> None:
    pattern, metric_name, (dimension, path) = METRIC_FILTERS[name]
    log_group = logical_id(built, "AWS::Logs::LogGroup", "LogGroupName", "/aws/events/delivery-events-pipeline-dev")
    properties = built.named(built.monitoring, "AWS::Logs::MetricFilter", "FilterName", name)[1]["Properties"]
    assert properties["FilterPattern"] == pattern
    assert properties["LogGroupName"] == {"Ref": log_group}
    assert properties["MetricTransformations"] == [
        {
            "MetricNamespace": NAMESPACE,
            "MetricName": metric_name,
            "MetricValue": "1",
            "Dimensions": [{"Key": dimension, "Value": path}],
        }
    ]


LOGGED_EVENTS = [
    (pipeline_event(EXECUTION, PIPELINE_NAME, "SUCCEEDED"), {"PipelineExecutionsSucceeded"}),
    (pipeline_event(EXECUTION, PIPELINE_NAME, "FAILED"), {"PipelineExecutionsFailed"}),
    (pipeline_event(EXECUTION, PIPELINE_NAME, "SUPERSEDED"), set()),
    (pipeline_event(EXECUTION, PIPELINE_NAME, "STARTED"), set()),
    (pipeline_event(EXECUTION, OTHER_COPY, "FAILED"), set()),
    (pipeline_event(STAGE, PIPELINE_NAME, "SUCCEEDED", stage="Build"), set()),
    (pipeline_event(STAGE, PIPELINE_NAME, "FAILED", stage="Build"), set()),
    (pipeline_event(ACTION, PIPELINE_NAME, "FAILED", stage="Build", action="BuildImage"), set()),
    (deployment_event("222222222222", "staging", "SUCCESS"), {"DeploymentsSucceeded"}),
    (deployment_event("333333333333", "prod", "FAILURE"), {"DeploymentsRolledBack"}),
    (deployment_event(ACCOUNT, "dev", "STOP"), {"DeploymentsRolledBack"}),
    (deployment_event(ACCOUNT, "dev", "START"), set()),
    (deployment_event(ACCOUNT, "pr7", "FAILURE"), set()),
]
"""An event reaching the log rules -> the metrics its arrival counts (each once)."""


@pytest.mark.parametrize(("event", "counted"), LOGGED_EVENTS)
def test_logged_events_are_counted_by_exactly_their_metric(built: System, event: dict, counted: set[str]) -> None:
    log_rules = [
        rule(built, "pipeline-events-log-rule-pipeline-dev")["EventPattern"],
        rule(built, "deployment-events-log-rule-pipeline-dev")["EventPattern"],
    ]
    logged = any(matches(pattern, event) for pattern in log_rules)
    filters = built.resources("AWS::Logs::MetricFilter", built.monitoring).values()
    metrics = [
        f["Properties"]["MetricTransformations"][0]["MetricName"]
        for f in filters
        if logged and filter_matches(f["Properties"]["FilterPattern"], event)
    ]
    assert sorted(metrics) == sorted(counted)


# --- alarms ---------------------------------------------------------------------------------------


def test_repeated_pipeline_failures_alarm(built: System) -> None:
    _, alarm = built.named(
        built.pipeline_account, "AWS::CloudWatch::Alarm", "AlarmName", "sample-pipeline-failures-alarm-pipeline-dev"
    )
    properties = alarm["Properties"]
    assert (properties["Namespace"], properties["MetricName"]) == (NAMESPACE, "PipelineExecutionsFailed")
    assert properties["Dimensions"] == [{"Name": "Pipeline", "Value": PIPELINE_NAME}]
    assert (properties["Statistic"], properties["Period"], properties["EvaluationPeriods"]) == ("Sum", 10800, 1)
    assert (properties["ComparisonOperator"], properties["Threshold"]) == ("GreaterThanOrEqualToThreshold", 2)
    assert properties["TreatMissingData"] == "notBreaching"
    assert properties["AlarmActions"] == [ALERTS_TOPIC]


@pytest.mark.parametrize("env", GROUPS)
def test_deployment_rollback_alarm_per_environment(built: System, env: str) -> None:
    name = f"sample-rollback-alarm-{env}-dev"
    _, alarm = built.named(built.pipeline_account, "AWS::CloudWatch::Alarm", "AlarmName", name)
    properties = alarm["Properties"]
    assert (properties["Namespace"], properties["MetricName"]) == (NAMESPACE, "DeploymentsRolledBack")
    assert properties["Dimensions"] == [{"Name": "DeploymentGroup", "Value": GROUPS[env]}]
    assert (properties["Statistic"], properties["Period"]) == ("Sum", 300)
    assert (properties["ComparisonOperator"], properties["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert properties["AlarmActions"] == [ALERTS_TOPIC]
