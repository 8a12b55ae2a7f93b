"""CodeDeploy AfterAllowTestTraffic hook: smoke-test the green tasks through the test listener.

CodeDeploy invokes this after the test listener routes to the replacement (green) task set and
waits for PutLifecycleEventHookExecutionStatus: Succeeded lets traffic shift to green, Failed
stops the deployment and rolls it back. Every outcome, including an unexpected error in the test,
is reported, so a deployment never hangs until the hook times out.
"""

from __future__ import annotations

import logging
import os
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

SUCCEEDED = "Succeeded"
FAILED = "Failed"
EXPECTED_STATUS = 200

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)


def probe(url: str, timeout: float = 5.0) -> int:
    """HTTP status of GET `url`.

    With HTTPS the certificate chain is verified, not the host name: the certificate names the
    application's domain, while the hook reaches the listener through the load balancer's DNS name.
    """
    context = ssl.create_default_context()
    context.check_hostname = False
    request = urllib.request.Request(url, headers={"User-Agent": "codedeploy-smoke-test"})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def smoke_test(
    url: str,
    *,
    attempts: int,
    interval: float,
    probe: Callable[[str], int] = probe,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """True once `url` answers 200, trying up to `attempts` times `interval` seconds apart."""
    for attempt in range(1, attempts + 1):
        try:
            status: int | str = probe(url)
        except OSError as error:  # connection refused, timeouts, DNS, TLS: all OSError subclasses
            status = repr(error)
        LOG.info("smoke test %s attempt %d/%d: %s", url, attempt, attempts, status)
        if status == EXPECTED_STATUS:
            return True
        if attempt < attempts:
            sleep(interval)
    return False


def handle(event: dict[str, Any], *, client: Any, url: str, attempts: int, interval: float, **test: Any) -> str:
    """Run the smoke test and report its outcome for the deployment named in `event`."""
    try:
        passed = smoke_test(url, attempts=attempts, interval=interval, **test)
    except Exception:
        LOG.exception("smoke test raised; reporting Failed")
        passed = False
    status = SUCCEEDED if passed else FAILED
    client.put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=status,
    )
    LOG.info("deployment %s: reported %s", event["DeploymentId"], status)
    return status


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    import boto3  # in the Lambda runtime; imported here so unit tests need no AWS configuration

    status = handle(
        event,
        client=boto3.client("codedeploy"),
        url=os.environ["TEST_URL"],
        attempts=int(os.environ.get("SMOKE_TEST_ATTEMPTS", "5")),
        interval=float(os.environ.get("SMOKE_TEST_INTERVAL_SECONDS", "10")),
    )
    return {"status": status}
