"""CMP003: versioned buckets expire noncurrent versions after 90 days; artifact stores are versioned."""

from __future__ import annotations

from compliance_gate.policies.cfn_values import as_list, number, ref_target
from compliance_gate.policies.model import CUSTOM_RESOURCES, Resource, Rule, StackContext
from compliance_gate.policies.sdk_calls import sdk_calls

RETENTION_DAYS = 90
_NARROWING = ("Prefix", "TagFilters", "Tag", "And", "ObjectSizeGreaterThan", "ObjectSizeLessThan")
"""What narrows a lifecycle rule to some objects, in the rule or its Filter; an empty one narrows nothing."""


def is_versioned(bucket_properties: dict) -> bool:
    return (bucket_properties.get("VersioningConfiguration") or {}).get("Status") == "Enabled"


_ENABLED = {"Status": "Enabled"}


def _narrowed(rule: dict) -> bool:
    """Whether the rule covers only some objects: a non-empty prefix, tag or size filter, in the rule or its
    Filter (a rule whose filter is empty, or whose prefix is "", covers the whole bucket)."""
    scopes = [rule, rule.get("Filter") if isinstance(rule.get("Filter"), dict) else {}]
    return any(scope.get(key) not in (None, "", [], {}) for scope in scopes for key in _NARROWING)


def _expires_all_noncurrent(rule: dict) -> bool:
    expiration = rule.get("NoncurrentVersionExpiration") or {}
    days = expiration.get("NoncurrentDays", rule.get("NoncurrentVersionExpirationInDays"))
    return str(rule.get("Status")).capitalize() == "Enabled" and number(days) == RETENTION_DAYS and not _narrowed(rule)


def _kept_longer(resource: Resource, rules: list) -> list[str]:
    """What keeps noncurrent versions past the 90 days whatever the expiring rule says."""
    problems = [
        f"LifecycleConfiguration.Rules[{index}] keeps the {newer} newest noncurrent versions past "
        "NoncurrentVersionExpiration.NoncurrentDays (NewerNoncurrentVersions)"
        for index, rule in enumerate(rules)
        if isinstance(rule, dict) and rule.get("Status") == "Enabled"
        for newer in [((rule.get("NoncurrentVersionExpiration") or {}).get("NewerNoncurrentVersions"))]
        if newer is not None
    ]
    retention = ((resource.properties.get("ObjectLockConfiguration") or {}).get("Rule") or {}).get("DefaultRetention")
    if isinstance(retention, dict):
        days = (number(retention.get("Days")) or 0) + 365 * (number(retention.get("Years")) or 0)
        if days > RETENTION_DAYS:
            retained = f"retains object versions {days:g} days by default"
            problems.append(f"ObjectLockConfiguration {retained}, past the {RETENTION_DAYS} days")
    return problems


def _check_bucket(resource: Resource) -> list[str]:
    if not is_versioned(resource.properties):
        return []
    rules = as_list((resource.properties.get("LifecycleConfiguration") or {}).get("Rules"))
    if not any(isinstance(rule, dict) and _expires_all_noncurrent(rule) for rule in rules):
        return [
            f"versioned bucket has no enabled whole-bucket lifecycle rule with "
            f"NoncurrentVersionExpiration.NoncurrentDays = {RETENTION_DAYS}"
        ]
    return _kept_longer(resource, rules)


def _check_pipeline(resource: Resource, stack: StackContext) -> list[str]:
    stores = [resource.properties.get("ArtifactStore")]
    stores += [item.get("ArtifactStore") for item in as_list(resource.properties.get("ArtifactStores"))]
    problems = []
    for store in filter(None, stores):
        bucket_id = ref_target(store.get("Location"))
        bucket = stack.resources.get(bucket_id or "")
        if bucket is None:
            location = store.get("Location")
            problems.append(f"artifact store {location!r} is not a bucket of this stack: versioning unverifiable")
        elif not is_versioned(bucket.get("Properties") or {}):
            problems.append(f"artifact store bucket {bucket_id} is not versioned")
    return problems


def _calls(resource: Resource, stack: StackContext) -> list[str]:
    """SDK calls that switch on a bucket's versioning (putBucketVersioning): the bucket, which must be one of
    this stack, needs the 90-day rule as if its template said Enabled."""
    problems = []
    for call in sdk_calls(resource.type, resource.properties):
        status = (call.parameters.get("VersioningConfiguration") or {}).get("Status")
        if not call.is_service("s3") or call.action.lower() != "putbucketversioning" or status != "Enabled":
            continue
        bucket_id = _bucket_of(call.parameters.get("Bucket"), stack)
        if bucket_id is None:
            problems.append(
                f"{call.label} versions bucket {call.parameters.get('Bucket')!r}, which is not a bucket of this "
                "stack: its noncurrent-version expiry cannot be verified"
            )
            continue
        bucket = {**(stack.resources[bucket_id].get("Properties") or {}), "VersioningConfiguration": _ENABLED}
        if _check_bucket(Resource(bucket_id, "AWS::S3::Bucket", bucket)):
            problems.append(
                f"{call.label} versions bucket {bucket_id}, which has no enabled whole-bucket lifecycle rule with "
                f"NoncurrentVersionExpiration.NoncurrentDays = {RETENTION_DAYS}"
            )
    return problems


def _bucket_of(name: object, stack: StackContext) -> str | None:
    """The logical ID of the bucket of this stack a call names (`${Bucket}` from a reference, or its name)."""
    written = str(name or "")
    reference = written[2:-1] if written.startswith("${") and written.endswith("}") else None
    if reference in stack.resources:
        return reference
    for logical_id, body in stack.resources.items():
        if body.get("Type") == "AWS::S3::Bucket" and (body.get("Properties") or {}).get("BucketName") == written:
            return logical_id
    return None


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.type == "AWS::CodePipeline::Pipeline":
        return _check_pipeline(resource, stack)
    if resource.type != "AWS::S3::Bucket":
        return _calls(resource, stack)
    return _check_bucket(resource)


RULE = Rule(
    id="CMP003",
    title="Noncurrent versions expire after 90 days; pipeline artifact stores are versioned",
    severity="MEDIUM",
    rationale=(
        "Old artifact versions are kept 90 days for audit and rollback, then deleted so storage "
        "does not grow without bound. An unversioned artifact store loses that history."
    ),
    fix=(
        "On the bucket: versioned=True and lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration="
        "Duration.days(90))] with no prefix or tag filter; give the pipeline a versioned artifact bucket of its stack."
    ),
    check=check,
    resource_types=frozenset({"AWS::S3::Bucket", "AWS::CodePipeline::Pipeline", *CUSTOM_RESOURCES}),
)
