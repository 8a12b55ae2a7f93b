"""Every rehearsal runs against moto, in the pipeline account, with no real credentials."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from tests.rehearsal.aws import REGION


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield
