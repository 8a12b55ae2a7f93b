"""Rehearsal of stacks/pipeline/runtime/image_scan.py against moto's ECR: the Test stage's scan gate."""

from __future__ import annotations

import hashlib

import pytest
import requests

from stacks.pipeline.runtime import image_scan
from tests.rehearsal.aws import client
from tests.rehearsal.manifests import image_index, image_manifest

REPOSITORY = "sample-ecr-repository-pipeline-dev"
ENV = {"REPOSITORY_NAME": REPOSITORY, "IMAGE_TAG": "abc123"}


def push(manifest: str, media_type: str, *, scanned: bool = True) -> str:
    """Push like the build does; moto does not scan on push, so the scan is started as ECR would."""
    ecr = client("ecr")
    ecr.create_repository(repositoryName=REPOSITORY, imageScanningConfiguration={"scanOnPush": True})
    image = ecr.put_image(
        repositoryName=REPOSITORY, imageManifest=manifest, imageManifestMediaType=media_type, imageTag="abc123"
    )["image"]
    if scanned:
        ecr.start_image_scan(repositoryName=REPOSITORY, imageId={"imageTag": "abc123"})
    return image["imageId"]["imageDigest"]


def scan_results(digest: str, *statuses: tuple[str, dict[str, int]]) -> None:
    """What DescribeImageScanFindings answers, call by call (moto's documented way to script it)."""
    results = [
        {
            "imageScanFindings": {"findings": [], "findingSeverityCounts": counts},
            "registryId": "123456789012",
            "repositoryName": REPOSITORY,
            "imageId": {"imageDigest": digest},
            "imageScanStatus": {"status": status, "description": status.lower()},
        }
        for status, counts in statuses
    ]
    requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/ecr/scan-finding-results", json={"results": results}
    ).raise_for_status()


def run(capsys: pytest.CaptureFixture, on_sleep=lambda: None) -> tuple[int, str]:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        on_sleep()

    code = image_scan.main(ENV, ecr=client("ecr"), sleep=sleep, clock=lambda: len(sleeps) * 10.0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def test_pending_scan_is_awaited_then_passes_without_critical_findings(capsys: pytest.CaptureFixture) -> None:
    scan_results(push(image_manifest(), MANIFEST, scanned=False), ("COMPLETE", {"HIGH": 2}))

    def scan_finishes() -> None:  # ECR has no result until its scan-on-push ends
        client("ecr").start_image_scan(repositoryName=REPOSITORY, imageId={"imageTag": "abc123"})

    assert run(capsys, scan_finishes) == (0, f"image scan of {REPOSITORY}:abc123 passed: {{'HIGH': 2}}\n")


def test_critical_findings_fail_the_test_stage(capsys: pytest.CaptureFixture) -> None:
    scan_results(push(image_manifest(), MANIFEST), ("COMPLETE", {"CRITICAL": 1, "HIGH": 2}))
    code, output = run(capsys)
    assert code == 1
    assert output == "image scan check failed: 1 CRITICAL finding(s) in the image scan: {'CRITICAL': 1, 'HIGH': 2}\n"


def test_an_image_index_is_refused_because_basic_scanning_does_not_scan_it(capsys: pytest.CaptureFixture) -> None:
    """Defect 2: buildx's default push (provenance attestation) makes the tag name an OCI index."""
    manifest = image_manifest()
    push(
        image_index("sha256:" + hashlib.sha256(manifest.encode()).hexdigest()),
        "application/vnd.oci.image.index.v1+json",
    )
    code, output = run(capsys)
    assert code == 1
    assert output.startswith(
        f"image scan check failed: {REPOSITORY}:abc123 is an image index (application/vnd.oci.image.index.v1+json), "
        "which ECR basic scanning does not scan"
    )


def test_a_scan_that_never_finishes_fails_closed(capsys: pytest.CaptureFixture) -> None:
    scan_results(push(image_manifest(), MANIFEST), *[("IN_PROGRESS", {})] * 100)
    code, output = run(capsys)
    assert code == 1 and "still IN_PROGRESS after 900 seconds" in output
