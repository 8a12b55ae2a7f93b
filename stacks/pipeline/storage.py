"""S3 buckets of the pipeline account, all made by one method so they share the same protections."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.exceptions import skip_checkov, skip_provider_handler_checks
from stacks.naming import PIPELINE, Names

NONCURRENT_VERSION_DAYS = 90
CACHE_DAYS = 7
ACCESS_LOG_DAYS = 90
AUTO_DELETE_PROVIDER = "Custom::S3AutoDeleteObjectsCustomResourceProvider"


class PipelineBuckets(Construct):
    """The buckets the pipelines share: build cache, source uploads and the access-log sink.

    Every bucket is SSE-S3 (AES256), TLS-only, private, destroyable with its contents and logs its
    requests to `access_logs`. `artifact_bucket` makes one versioned artifact store per pipeline, so
    one application's projects can never overwrite another's artifacts.
    """

    def __init__(self, scope: Construct, construct_id: str, *, names: Names, account: str, with_source: bool) -> None:
        super().__init__(scope, construct_id)
        self._names, self._account = names, account
        # The sink does not log its own requests (each delivery would log another); it only receives logs.
        self.access_logs = self._bucket(
            "AccessLogs",
            "access-logs",
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=cdk.Duration.days(ACCESS_LOG_DAYS))],
            log=False,
            account_only=False,  # the S3 logging service writes here as a service principal
        )
        self.cache = self._bucket(
            "BuildCache",
            "build-cache",
            lifecycle_rules=[s3.LifecycleRule(id="expire-cache", expiration=cdk.Duration.days(CACHE_DAYS))],
        )
        skip_checkov(
            self.access_logs,
            "CKV_AWS_18",
            "This bucket is the access-log destination itself: logging its own accesses into itself would log "
            "every log delivery (a feedback loop), and a second log bucket would raise the same finding there.",
        )
        skip_checkov(
            self.access_logs,
            "CKV_AWS_21",
            "Only the S3 logging service writes here and log objects are never rewritten; they expire after "
            f"{ACCESS_LOG_DAYS} days, so versions would only keep deleted logs longer.",
        )
        skip_checkov(
            self.cache,
            "CKV_AWS_21",
            "A disposable build cache, rewritten by every build and expired after "
            f"{CACHE_DAYS} days: old versions would only keep stale caches.",
        )
        skip_provider_handler_checks(
            self, AUTO_DELETE_PROVIDER, "empties the pipeline account's buckets before CloudFormation deletes them"
        )
        self.source = self._versioned("Source", "source") if with_source else None
        if self.source is not None:
            # Object-created events go to EventBridge, which starts the pipeline of the uploaded key.
            # Set on the L1 bucket: CloudFormation supports it natively, while the L2 property adds a
            # custom-resource Lambda with a wildcard role.
            bucket = self.source.node.default_child
            bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
                event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
            )

    def artifact_bucket(self, scope: Construct, app: str) -> s3.Bucket:
        """A versioned artifact store for one application's pipeline."""
        return self._versioned("Artifacts", f"{app}-artifacts", scope=scope)

    def _versioned(self, construct_id: str, kind: str, scope: Construct | None = None) -> s3.Bucket:
        rule = s3.LifecycleRule(
            id="expire-noncurrent-versions",
            noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_VERSION_DAYS),
            abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
        )
        return self._bucket(construct_id, kind, versioned=True, lifecycle_rules=[rule], scope=scope)

    def _bucket(
        self,
        construct_id: str,
        kind: str,
        *,
        lifecycle_rules: list[s3.LifecycleRule],
        versioned: bool = False,
        log: bool = True,
        account_only: bool = True,
        scope: Construct | None = None,
    ) -> s3.Bucket:
        bucket = s3.Bucket(
            scope or self,
            construct_id,
            bucket_name=self._names.bucket(kind, PIPELINE, self._account),
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=versioned,
            lifecycle_rules=lifecycle_rules,
            server_access_logs_bucket=self.access_logs if log else None,
            server_access_logs_prefix=f"{kind}/" if log else None,
            removal_policy=cdk.RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        if account_only:
            bucket.add_to_resource_policy(deny_other_accounts(bucket, self._account))
        return bucket


def deny_other_accounts(bucket: s3.IBucket, account: str) -> iam.PolicyStatement:
    """Artifacts never leave the pipeline account: deny every principal of any other account."""
    return iam.PolicyStatement(
        sid="DenyPrincipalsOutsidePipelineAccount",
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=["s3:*"],
        resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
        conditions={"StringNotEquals": {"aws:PrincipalAccount": account}},
    )
