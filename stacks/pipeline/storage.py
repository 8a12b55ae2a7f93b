"""S3 buckets of the pipeline account, all made by `make_bucket` so they share the same protections."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.naming import PIPELINE, Names
from stacks.scanner_suppressions import skip_checkov, skip_provider_handler_checks

NONCURRENT_VERSION_DAYS = 90
CACHE_DAYS = 7
ACCESS_LOG_DAYS = 90
AUTO_DELETE_PROVIDER = "Custom::S3AutoDeleteObjectsCustomResourceProvider"
ACCESS_LOGS, BUILD_CACHE, SOURCE = "access-logs", "build-cache", "source"


class SharedBuckets(Construct):
    """The buckets every pipeline-account stack uses: the access-log sink, the build cache and (for
    applications without a repository) the source bucket each uploads its bundle to, one key each.

    They live in the foundation stack, deployed first, because the image bootstrap project caches
    there too; the applications' pipeline stacks find them by name (`PipelineBuckets`).
    """

    def __init__(self, scope: Construct, construct_id: str, *, names: Names, account: str) -> None:
        super().__init__(scope, construct_id)
        # The sink does not log its own requests (each delivery would log another); it only receives logs.
        self.access_logs = make_bucket(
            self,
            "AccessLogs",
            names=names,
            account=account,
            kind=ACCESS_LOGS,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=cdk.Duration.days(ACCESS_LOG_DAYS))],
            access_logs=None,
            account_only=False,  # the S3 logging service writes here as a service principal
        )
        # Buckets of later stacks log here too: CDK only grants the logging service for buckets of this stack.
        self.access_logs.add_to_resource_policy(
            iam.PolicyStatement(
                sid="S3ServerAccessLogsOfThisAccount",
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.access_logs.arn_for_objects("*")],
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            )
        )
        self.cache = make_bucket(
            self,
            "BuildCache",
            names=names,
            account=account,
            kind=BUILD_CACHE,
            lifecycle_rules=[s3.LifecycleRule(id="expire-cache", expiration=cdk.Duration.days(CACHE_DAYS))],
            access_logs=self.access_logs,
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
        # Always there, also when every application has a repository: a new application starts here.
        self.source = versioned_bucket(
            self, "Source", names=names, account=account, kind=SOURCE, access_logs=self.access_logs
        )
        # Object-created events go to EventBridge, which starts the pipeline of the uploaded key.
        # Set on the L1 bucket: CloudFormation supports it natively, while the L2 property adds a
        # custom-resource Lambda with a wildcard role.
        bucket = self.source.node.default_child
        bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
        )
        skip_provider_handler_checks(
            self, AUTO_DELETE_PROVIDER, "empties the pipeline account's buckets before CloudFormation deletes them"
        )


class PipelineBuckets(Construct):
    """What an application's pipeline stack uses of the foundation stack's buckets (access logs, build
    cache, source uploads), found by name, and its own versioned artifact store, so one
    application's projects can never overwrite another's artifacts."""

    def __init__(self, scope: Construct, construct_id: str, *, names: Names, account: str) -> None:
        super().__init__(scope, construct_id)
        self._names, self._account = names, account
        self.access_logs = s3.Bucket.from_bucket_name(self, "AccessLogs", names.bucket(ACCESS_LOGS, PIPELINE, account))
        self.cache = s3.Bucket.from_bucket_name(self, "BuildCache", names.bucket(BUILD_CACHE, PIPELINE, account))
        self.source = s3.Bucket.from_bucket_name(self, "Source", names.bucket(SOURCE, PIPELINE, account))

    def artifact_bucket(self, scope: Construct, app: str) -> s3.Bucket:
        """A versioned artifact store for one application's pipeline."""
        return versioned_bucket(
            scope,
            "Artifacts",
            names=self._names,
            account=self._account,
            kind=f"{app}-artifacts",
            access_logs=self.access_logs,
        )


def versioned_bucket(
    scope: Construct, construct_id: str, *, names: Names, account: str, kind: str, access_logs: s3.IBucket
) -> s3.Bucket:
    """A versioned bucket whose old versions expire after NONCURRENT_VERSION_DAYS."""
    rule = s3.LifecycleRule(
        id="expire-noncurrent-versions",
        noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_VERSION_DAYS),
        abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
    )
    return make_bucket(
        scope,
        construct_id,
        names=names,
        account=account,
        kind=kind,
        versioned=True,
        lifecycle_rules=[rule],
        access_logs=access_logs,
    )


def make_bucket(
    scope: Construct,
    construct_id: str,
    *,
    names: Names,
    account: str,
    kind: str,
    lifecycle_rules: list[s3.LifecycleRule],
    access_logs: s3.IBucket | None,
    versioned: bool = False,
    account_only: bool = True,
) -> s3.Bucket:
    """SSE-S3 (AES256), TLS-only, private, destroyable with its contents, logging to `access_logs`."""
    bucket = s3.Bucket(
        scope,
        construct_id,
        bucket_name=names.bucket(kind, PIPELINE, account),
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned=versioned,
        lifecycle_rules=lifecycle_rules,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix=f"{kind}/" if access_logs else None,
        removal_policy=cdk.RemovalPolicy.DESTROY,
        auto_delete_objects=True,
    )
    if account_only:
        bucket.add_to_resource_policy(deny_other_accounts(bucket, account))
    if access_logs is not None and not isinstance(access_logs, s3.Bucket):  # imported by name
        cdk.Annotations.of(bucket).acknowledge_warning(
            "@aws-cdk/aws-s3:accessLogsPolicyNotAdded",
            "The foundation stack's access-log bucket admits the S3 logging service for every bucket of this account.",
        )
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
