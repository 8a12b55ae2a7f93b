"""CMP003: versioned buckets expire noncurrent versions after 90 days; artifact stores are versioned."""

from __future__ import annotations

from compliance_gate.policies.cfn_values import as_list, number, ref_target
from compliance_gate.policies.model import Resource, Rule, StackContext

RETENTION_DAYS = 90
_NARROWING = ("Prefix", "TagFilters", "Filter", "ObjectSizeGreaterThan", "ObjectSizeLessThan")


def is_versioned(bucket_properties: dict) -> bool:
    return (bucket_properties.get("VersioningConfiguration") or {}).get("Status") == "Enabled"


def _expires_all_noncurrent(rule: dict) -> bool:
    expiration = rule.get("NoncurrentVersionExpiration") or {}
    days = expiration.get("NoncurrentDays", rule.get("NoncurrentVersionExpirationInDays"))
    return rule.get("Status") == "Enabled" and number(days) == RETENTION_DAYS and not any(k in rule for k in _NARROWING)


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


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.type == "AWS::CodePipeline::Pipeline":
        return _check_pipeline(resource, stack)
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
    resource_types=frozenset({"AWS::S3::Bucket", "AWS::CodePipeline::Pipeline"}),
)
