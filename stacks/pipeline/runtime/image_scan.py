"""Fail the Test stage when the ECR scan of the image under test reports CRITICAL findings.

Resolves REPOSITORY_NAME:IMAGE_TAG to the manifest it names and waits for that digest's scan-on-push
result. Fails closed: an image index (ECR's basic scanning scans single-platform image manifests,
not indexes such as buildx's default provenance attestations produce), a scan that failed, is
unsupported or does not finish in time fail the build too. Standard library and boto3 only.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

BLOCKING_SEVERITY = "CRITICAL"
DONE = frozenset({"COMPLETE", "ACTIVE"})
"""ACTIVE is how enhanced scanning (Amazon Inspector) reports a finished, continuously monitored scan."""
POLL_SECONDS = 10
TIMEOUT_SECONDS = 900
INDEX_MEDIA_TYPES = frozenset(
    {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
)


class ScanError(Exception):
    """The image must not proceed; the message says why."""


def image_digest(ecr: Any, repository: str, tag: str) -> str:
    """The digest of the single-platform manifest the tag names; ScanError for an image index."""
    (image,) = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"]
    media_type = image.get("imageManifestMediaType", "")
    if media_type in INDEX_MEDIA_TYPES:
        raise ScanError(
            f"{repository}:{tag} is an image index ({media_type}), which ECR basic scanning does not scan: "
            "push one platform's image manifest (docker buildx build --provenance=false --sbom=false --platform ...)"
        )
    return image["imageDigest"]


def severity_counts(
    ecr: Any,
    repository: str,
    digest: str,
    *,
    timeout_seconds: float = TIMEOUT_SECONDS,
    poll_seconds: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, int]:
    """Finding counts by severity, once the scan of the image `digest` has finished."""
    deadline = clock() + timeout_seconds
    while True:
        try:
            response = ecr.describe_image_scan_findings(
                repositoryName=repository, imageId={"imageDigest": digest}, maxResults=1
            )
            status = response["imageScanStatus"]["status"]
        except ecr.exceptions.ScanNotFoundException:
            response, status = {}, "NOT_STARTED"
        if status in DONE:
            return dict(response.get("imageScanFindings", {}).get("findingSeverityCounts", {}))
        if status not in ("IN_PROGRESS", "PENDING", "NOT_STARTED"):
            reason = response.get("imageScanStatus", {}).get("description", "")
            raise ScanError(f"scan of {repository}@{digest} ended {status} {reason}".rstrip())
        if clock() >= deadline:
            raise ScanError(f"scan of {repository}@{digest} still {status} after {timeout_seconds} seconds")
        sleep(poll_seconds)


def check(counts: Mapping[str, int]) -> None:
    blocking = counts.get(BLOCKING_SEVERITY, 0)
    if blocking:
        raise ScanError(f"{blocking} {BLOCKING_SEVERITY} finding(s) in the image scan: {dict(counts)}")


def main(
    env: Mapping[str, str] | None = None,
    ecr: Any = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    env = os.environ if env is None else env
    repository, tag = env.get("REPOSITORY_NAME"), env.get("IMAGE_TAG")
    if not repository or not tag:
        print("image scan check failed: REPOSITORY_NAME and IMAGE_TAG must be set", file=sys.stderr)
        return 1
    try:
        ecr = ecr or boto3.client("ecr")
        counts = severity_counts(ecr, repository, image_digest(ecr, repository, tag), sleep=sleep, clock=clock)
        check(counts)
    except (ScanError, ClientError, BotoCoreError) as error:
        print(f"image scan check failed: {error}", file=sys.stderr)
        return 1
    print(f"image scan of {repository}:{tag} passed: {counts or 'no findings'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
