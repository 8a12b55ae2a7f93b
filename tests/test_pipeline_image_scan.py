"""Unit tests of stacks/pipeline/runtime/image_scan.py: CRITICAL findings, failed or unfinished scans fail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from stacks.pipeline.runtime import image_scan

REQUEST = {"repositoryName": "sample-ecr-repository-pipeline-dev", "imageId": {"imageTag": "abc123"}, "maxResults": 1}
ENV = {"REPOSITORY_NAME": "sample-ecr-repository-pipeline-dev", "IMAGE_TAG": "abc123"}


@pytest.fixture
def ecr() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("ecr", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def scan(stub: Stubber, status: str, counts: dict[str, int] | None = None) -> None:
    response: dict[str, Any] = {"imageScanStatus": {"status": status, "description": status.lower()}}
    if counts is not None:
        response["imageScanFindings"] = {"findingSeverityCounts": counts}
    stub.add_response("describe_image_scan_findings", response, REQUEST)


def test_waits_for_the_scan_then_passes_without_critical_findings(ecr: tuple[Any, Stubber], monkeypatch) -> None:
    client, stub = ecr
    stub.add_client_error("describe_image_scan_findings", "ScanNotFoundException", expected_params=REQUEST)
    scan(stub, "IN_PROGRESS")
    scan(stub, "COMPLETE", {"HIGH": 2, "MEDIUM": 5})
    monkeypatch.setattr(image_scan.time, "sleep", lambda seconds: None)
    assert image_scan.main(ENV, ecr=client) == 0


def test_critical_findings_fail_the_test_stage(ecr: tuple[Any, Stubber], capsys) -> None:
    client, stub = ecr
    scan(stub, "COMPLETE", {"CRITICAL": 1, "HIGH": 3})
    assert image_scan.main(ENV, ecr=client) == 1
    assert "1 CRITICAL finding(s)" in capsys.readouterr().err


@pytest.mark.parametrize("status", ["FAILED", "UNSUPPORTED_IMAGE", "FINDINGS_UNAVAILABLE"])
def test_a_scan_that_did_not_complete_fails_closed(ecr: tuple[Any, Stubber], status: str) -> None:
    client, stub = ecr
    scan(stub, status)
    assert image_scan.main(ENV, ecr=client) == 1


def test_a_scan_still_running_at_the_deadline_fails(ecr: tuple[Any, Stubber]) -> None:
    client, stub = ecr
    scan(stub, "IN_PROGRESS")
    scan(stub, "IN_PROGRESS")
    clock = iter([0, 5, 11])
    with pytest.raises(image_scan.ScanError, match="still IN_PROGRESS"):
        image_scan.severity_counts(
            client,
            "sample-ecr-repository-pipeline-dev",
            "abc123",
            timeout_seconds=10,
            sleep=lambda s: None,
            clock=lambda: next(clock),
        )


def test_missing_variables_fail() -> None:
    assert image_scan.main({"IMAGE_TAG": "abc123"}, ecr=object()) == 1
