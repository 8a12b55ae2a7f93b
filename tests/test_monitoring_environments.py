"""Each environment's part of monitoring: forwarding its deployment events to the pipeline account's bus,
in the default configuration (dev shares the pipeline account, staging and prod do not) and in
single-account mode (every environment in the pipeline account)."""

from __future__ import annotations

import pytest

from stacks.monitoring.event_bus import foreign_target_accounts
from tests.monitoring_support import ACCOUNT, ENVIRONMENTS, REGION, System
from tests.support import Synthesized, synthesize_system
from tests.toolkit.events import deployment_event, matches
from tests.toolkit.log_filters import filter_matches

ACCOUNTS = {"dev": ACCOUNT, "staging": "222222222222", "prod": "333333333333"}
SINGLE_SUFFIX = "solo"


@pytest.fixture(scope="module")
def built(system: Synthesized) -> System:
    return System.of(system)


@pytest.fixture(scope="module")
def single_account(tmp_path_factory: pytest.TempPathFactory) -> System:
    """Every environment in the pipeline account, with a second application."""
    return System.of(
        synthesize_system(
            tmp_path_factory.mktemp("monitoring-single-account"),
            **{
                "environmentSuffix": SINGLE_SUFFIX,
                "cicd:stagingAccount": ACCOUNT,
                "cicd:prodAccount": ACCOUNT,
                "cicd:applications": [{"name": "sample"}, {"name": "orders", "containerPort": 9000}],
            },
        )
    )


def forwarder(system: System, env: str) -> tuple[dict, dict]:
    """The forwarding rule's and its role's properties in `env`'s stack."""
    template, suffix = system.environment(env), system.config.suffix
    _, rule = system.named(template, "AWS::Events::Rule", "Name", f"deployment-events-rule-{env}-{suffix}")
    role_id, role = system.named(template, "AWS::IAM::Role", "RoleName", f"deployment-events-role-{env}-{suffix}")
    assert rule["Properties"]["Targets"][0]["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    return rule["Properties"], role["Properties"]


def bus_arn(suffix: str) -> str:
    return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/cicd-event-bus-pipeline-{suffix}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_forwards_its_deployment_outcomes_to_the_pipeline_account_bus(built: System, env: str) -> None:
    rule, _ = forwarder(built, env)
    assert rule["EventPattern"] == {
        "source": ["aws.codedeploy"],
        "detail-type": ["CodeDeploy Deployment State-change Notification"],
        # every application's group in this environment, by how its name ends
        "detail": {
            "deploymentGroup": [{"suffix": f"-deployment-group-{env}-dev"}],
            "state": ["SUCCESS", "FAILURE", "STOP"],
        },
    }
    assert "EventBusName" not in rule  # CodeDeploy publishes to the account's default bus
    (target,) = rule["Targets"]
    assert target["Arn"] == bus_arn("dev")
    assert "InputTransformer" not in target and "Input" not in target  # the event arrives as CodeDeploy sent it


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_forwarding_role_may_only_put_events_on_that_bus(built: System, env: str) -> None:
    _, role = forwarder(built, env)
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}}
    ]
    policies = {policy["PolicyName"]: policy["PolicyDocument"]["Statement"] for policy in role["Policies"]}
    assert policies["PutDeploymentEvents"] == [
        {"Action": "events:PutEvents", "Effect": "Allow", "Resource": bus_arn("dev")}
    ]
    assert policies["DenyTerminateInstances"] == [
        {"Action": "ec2:TerminateInstances", "Effect": "Deny", "Resource": "*", "Sid": "DenyTerminateInstances"}
    ]
    assert set(policies) == {"PutDeploymentEvents", "DenyTerminateInstances"}
    managed = built.resources("AWS::IAM::Policy", built.environment(env)).values()
    assert not [p for p in managed if "deployment-events-role" in str(p["Properties"].get("Roles"))]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_a_deployment_outcome_is_forwarded_once_and_counted_in_the_pipeline_account(built: System, env: str) -> None:
    """End to end: forwarding rules of all environments, the bus policy, the log rule, the metric filters."""
    event = deployment_event(ACCOUNTS[env], env, "FAILURE")
    forwarded_by = [other for other in ENVIRONMENTS if matches(forwarder(built, other)[0]["EventPattern"], event)]
    assert forwarded_by == [env]
    _, bus = built.named(built.monitoring, "AWS::Events::EventBus", "Name", "cicd-event-bus-pipeline-dev")
    principals = bus["Properties"]["Policy"]["Statement"][0]["Principal"]["AWS"]
    admitted = ACCOUNTS[env] == ACCOUNT or f"arn:aws:iam::{ACCOUNTS[env]}:root" in principals
    assert admitted
    _, log_rule = built.named(built.monitoring, "AWS::Events::Rule", "Name", "deployment-events-log-rule-pipeline-dev")
    assert matches(log_rule["Properties"]["EventPattern"], event)
    counted = [
        f["Properties"]["MetricTransformations"][0]["MetricName"]
        for f in built.resources("AWS::Logs::MetricFilter", built.monitoring).values()
        if filter_matches(f["Properties"]["FilterPattern"], event)
    ]
    assert counted == ["DeploymentsRolledBack"]


# --- single-account mode ------------------------------------------------------------------------


def test_single_account_mode_synthesizes_under_the_gate_and_cdk_nag(single_account: System) -> None:
    assert single_account.config.single_account
    assert single_account.synthesized.error == ""


def test_single_account_bus_has_no_policy_as_every_forwarder_is_in_its_own_account(single_account: System) -> None:
    assert foreign_target_accounts(single_account.config) == ()
    _, bus = single_account.named(
        single_account.monitoring, "AWS::Events::EventBus", "Name", f"cicd-event-bus-pipeline-{SINGLE_SUFFIX}"
    )
    assert "Policy" not in bus["Properties"]
    assert single_account.resources("AWS::Events::EventBusPolicy", single_account.monitoring) == {}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_single_account_forwarders_target_the_bus_in_the_same_account(single_account: System, env: str) -> None:
    rule, role = forwarder(single_account, env)
    assert rule["Targets"][0]["Arn"] == bus_arn(SINGLE_SUFFIX)
    pattern = rule["EventPattern"]
    assert pattern["detail"]["deploymentGroup"] == [{"suffix": f"-deployment-group-{env}-{SINGLE_SUFFIX}"}]
    for app in ("sample", "orders"):
        assert matches(pattern, deployment_event(ACCOUNT, env, "SUCCESS", app=app, suffix=SINGLE_SUFFIX))
    assert not matches(pattern, deployment_event(ACCOUNT, env, "SUCCESS", suffix="dev"))
    assert role["RoleName"] == f"deployment-events-role-{env}-{SINGLE_SUFFIX}"


def test_single_account_names_do_not_collide(single_account: System) -> None:
    """One account holds every stack: rules, roles, alarms, dashboards and log groups need distinct names."""
    for cfn_type, prop in (
        ("AWS::Events::Rule", "Name"),
        ("AWS::IAM::Role", "RoleName"),
        ("AWS::CloudWatch::Alarm", "AlarmName"),
        ("AWS::CloudWatch::Dashboard", "DashboardName"),
        ("AWS::Logs::LogGroup", "LogGroupName"),
    ):
        names = [r["Properties"][prop] for r in single_account.resources(cfn_type).values() if prop in r["Properties"]]
        assert len(names) == len(set(names)), cfn_type


def test_single_account_counts_and_alarms_each_application_in_each_environment(single_account: System) -> None:
    alarms = {
        r["Properties"]["AlarmName"]
        for r in single_account.resources("AWS::CloudWatch::Alarm", single_account.pipeline_account).values()
    }
    expected = {f"{app}-rollback-alarm-{env}-{SINGLE_SUFFIX}" for app in ("sample", "orders") for env in ENVIRONMENTS}
    expected |= {f"{app}-pipeline-failures-alarm-pipeline-{SINGLE_SUFFIX}" for app in ("sample", "orders")}
    assert alarms == expected
