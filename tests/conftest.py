"""Shared fixtures: the main app and the gate's cases app are each synthesized once per session."""

from __future__ import annotations

import pytest

from tests.gate_cases import GateCases, build_cases
from tests.support import Synthesized, synthesize_system


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The system as `make synth` builds it from cdk.json's defaults."""
    return synthesize_system(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def gate_cases(tmp_path_factory: pytest.TempPathFactory) -> GateCases:
    """Every rule's compliant case and its violations through every route, in one app."""
    return build_cases(tmp_path_factory.mktemp("gate-cases"))
