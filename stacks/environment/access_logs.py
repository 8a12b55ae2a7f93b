"""Where the environment's load balancers write their access logs."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import region_info
from constructs import Construct

from stacks.naming import Names
from stacks.scanner_suppressions import acknowledge_nag, skip_checkov, skip_provider_handler_checks

ACCESS_LOG_RETENTION = cdk.Duration.days(90)
NONCURRENT_RETENTION = cdk.Duration.days(90)
"""The gate's CMP003: every versioned bucket drops noncurrent versions after 90 days."""

AUTO_DELETE_PROVIDER = "Custom::S3AutoDeleteObjectsCustomResourceProvider"


class AccessLogBucket(Construct):
    """SSE-S3 bucket (the only encryption ALB log delivery supports), TLS only, private, emptied and
    deleted with the stack. Versioned, so a log object cannot be overwritten or deleted without
    its previous version staying for 90 days; logs expire after 90 days, their old versions 90
    days later. One per environment, a prefix per application."""

    def __init__(self, scope: Construct, construct_id: str, *, env: str, account: str, names: Names) -> None:
        super().__init__(scope, construct_id)
        self.bucket_name = names.bucket("alb-access-logs", env, account)
        """Literal: the service stacks find the bucket by it."""
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=self.bucket_name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=ACCESS_LOG_RETENTION,
                    noncurrent_version_expiration=NONCURRENT_RETENTION,
                ),
                s3.LifecycleRule(id="remove-expired-delete-markers", expired_object_delete_marker=True),
            ],
            removal_policy=cdk.RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        self._admit_load_balancers(account)
        no_recursion = (
            "This bucket is the access-log destination itself: logging its own accesses into itself would "
            "log every log delivery (a feedback loop), and a second log bucket would raise the same finding "
            "on that one. ALB log delivery and the auto-delete handler are its only writers; CloudTrail "
            "records its management events."
        )
        acknowledge_nag(self.bucket.node.default_child, "AwsSolutions-S1", no_recursion)
        skip_checkov(self.bucket, "CKV_AWS_18", no_recursion)
        skip_provider_handler_checks(
            self, AUTO_DELETE_PROVIDER, "empties the access-log bucket before CloudFormation deletes it"
        )

    def _admit_load_balancers(self, account: str) -> None:
        """What CDK's `log_access_logs` grants one load balancer, for every application's prefix at once
        (`<app>/AWSLogs/<account>/`): the services live in stacks of their own, which must not each
        add a statement here. The writer is Elastic Load Balancing's account in this region."""
        stack = cdk.Stack.of(self)
        logs = self.bucket.arn_for_objects(f"*/AWSLogs/{account}/*")
        elb_account = region_info.RegionInfo.get(stack.region).elbv2_account
        delivery = iam.ServicePrincipal("delivery.logs.amazonaws.com")
        for statement in (
            iam.PolicyStatement(
                principals=[iam.AccountPrincipal(elb_account)], actions=["s3:PutObject"], resources=[logs]
            ),
            iam.PolicyStatement(
                principals=[delivery],
                actions=["s3:PutObject"],
                resources=[logs],
                conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
            ),
            iam.PolicyStatement(principals=[delivery], actions=["s3:GetBucketAcl"], resources=[self.bucket.bucket_arn]),
        ):
            self.bucket.add_to_resource_policy(statement)
