"""Every rehearsal runs against moto, in the pipeline account, with no real credentials."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from tests.rehearsal.aws import FAKE_CREDENTIALS


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield
