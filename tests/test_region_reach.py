"""CMP007 over every place a resource can reach another region (issue 11, class 5), not only the
stack's own region: stack sets, table replicas, replication and copy destinations, SDK calls made by
custom resources, targets given as ARNs of another region."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compliance_gate.policies.model import Resource, StackContext
from compliance_gate.policies.rules import region

STACK = StackContext(
    name="s-dev",
    suffix="dev",
    account="111111111111",
    region="us-east-1",
    resources={"Replica": {"Type": "AWS::S3::Bucket", "Properties": {}}},
)


def check(resource_type: str, properties: dict[str, Any]) -> list[str]:
    return region.check(Resource("R", resource_type, properties), STACK)


@pytest.mark.parametrize(
    ("resource_type", "properties", "problem"),
    [
        (
            "AWS::CloudFormation::StackSet",
            {"StackInstancesGroup": [{"Regions": ["us-east-1", "eu-west-1"]}]},
            "StackInstancesGroup[0].Regions[1] is 'eu-west-1'",
        ),
        ("AWS::DynamoDB::GlobalTable", {"Replicas": [{"Region": "us-west-2"}]}, "Replicas[0].Region is 'us-west-2'"),
        (
            "AWS::ECR::ReplicationConfiguration",
            {"ReplicationConfiguration": {"Rules": [{"Destinations": [{"Region": "ap-south-1", "RegistryId": "1"}]}]}},
            "ReplicationConfiguration.Rules[0].Destinations[0].Region is 'ap-south-1'",
        ),
        (
            "AWS::Backup::BackupPlan",
            {
                "BackupPlan": {
                    "BackupPlanRule": [
                        {
                            "CopyActions": [
                                {"DestinationBackupVaultArn": "arn:aws:backup:eu-central-1:111111111111:backup-vault:v"}
                            ]
                        }
                    ]
                }
            },
            "BackupPlan.BackupPlanRule[0].CopyActions[0].DestinationBackupVaultArn reaches 'eu-central-1'",
        ),
        (
            "AWS::Events::Rule",
            {"Targets": [{"Id": "t", "Arn": "arn:aws:events:eu-west-1:222222222222:event-bus/default"}]},
            "Targets[0].Arn reaches 'eu-west-1'",
        ),
        (
            "Custom::AWS",
            {
                "Create": json.dumps(
                    {"service": "SSM", "action": "getParameter", "region": "eu-west-2", "parameters": {}}
                )
            },
            "Create.region is 'eu-west-2'",
        ),
    ],
)
def test_a_resource_reaching_another_region_fails(resource_type: str, properties: dict, problem: str) -> None:
    (found,) = check(resource_type, properties)
    assert found == f"{problem}, not us-east-1"


def test_replication_to_a_bucket_the_gate_cannot_place_fails_closed() -> None:
    rules = {"Role": "r", "Rules": [{"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::elsewhere"}}]}
    assert check("AWS::S3::Bucket", {"ReplicationConfiguration": rules}) == [
        "ReplicationConfiguration.Rules[0].Destination.Bucket is 'arn:aws:s3:::elsewhere': an S3 ARN names no "
        "region, so the gate cannot tell where it replicates; replicate to a bucket of this stack"
    ]
    rules["Rules"][0]["Destination"]["Bucket"] = {"Fn::GetAtt": ["Replica", "Arn"]}
    assert check("AWS::S3::Bucket", {"ReplicationConfiguration": rules}) == []


def test_references_to_this_region_pass() -> None:
    properties = {
        "Targets": [{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:111111111111:q"}],
        "Region": {"Ref": "AWS::Region"},
    }
    assert check("AWS::Events::Rule", properties) == []


def test_the_approved_region_is_the_gates_setting_not_a_constant(tmp_path) -> None:
    """apply_gate(region=...): a stack and its resources are judged against that region."""
    import aws_cdk as cdk
    from aws_cdk import aws_sns as sns

    from compliance_gate.aspects import apply_gate

    app = cdk.App(outdir=str(tmp_path))
    run = apply_gate(app, suffix="dev", region="eu-west-1")
    for name, where in (("here-stack-dev", "eu-west-1"), ("there-stack-dev", "us-east-1")):
        stack = cdk.Stack(app, name, env=cdk.Environment(account="111111111111", region=where))
        sns.Topic(stack, "Topic", topic_name=f"alerts-topic-{where}-dev")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    failed = {(r.stack, r.rule_id): r.messages for r in run.results if r.status == "fail"}
    assert failed == {("there-stack-dev", "CMP007"): ("stack region is us-east-1, not eu-west-1",)}
    european = StackContext(name="s-dev", suffix="dev", region="eu-west-1", approved_region="eu-west-1")
    queue = Resource("Q", "AWS::SQS::Queue", {"RedrivePolicy": {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:1:q"}})
    assert region.check(queue, european) == ["RedrivePolicy.deadLetterTargetArn reaches 'us-east-1', not eu-west-1"]
