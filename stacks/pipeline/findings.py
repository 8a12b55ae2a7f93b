"""Spelling the third-party scanner findings the pipeline account's constructs acknowledge.

The acknowledgements stay next to the resources they concern (`stacks.scanner_suppressions`); this module
spells cdk-nag's IDs for findings on wildcards that CDK or CloudFormation decide, and holds the
acknowledgements several constructs share.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

from stacks.scanner_suppressions import acknowledge_nag, ref, wildcard_action, wildcard_resource

ARTIFACT_READ_ACTIONS = ("s3:GetBucket*", "s3:GetObject*", "s3:List*")
ARTIFACT_WRITE_ACTIONS = ("s3:Abort*", "s3:DeleteObject*")


def default_policy(role: iam.Role) -> IConstruct:
    """The AWS::IAM::Policy CDK attaches a role's grants to (the role's inline policies stay separate)."""
    return role.node.find_child("DefaultPolicy")


def acknowledge_artifact_access(role: iam.Role, bucket: s3.IBucket, *, writes: bool) -> None:
    """CDK's CodePipeline grants on the pipeline's own artifact bucket: its read (and write) action
    groups on every object, since CodePipeline generates the object keys per execution."""
    reason = (
        "CDK's CodePipeline artifact grant, limited to this application's own artifact bucket (and, for the "
        "pipeline role, to its source bundle object): CodePipeline names the artifact objects per execution, "
        "and the action groups are CDK's read/write sets for those objects."
    )
    policy = default_policy(role)
    for action in ARTIFACT_READ_ACTIONS + (ARTIFACT_WRITE_ACTIONS if writes else ()):
        acknowledge_nag(policy, wildcard_action(action), reason)
    acknowledge_nag(policy, wildcard_resource(f"{ref(bucket, 'Arn')}/*"), reason)
