"""Stacks per application: twenty applications synthesize within every quota, and one application's
change (or a new one) touches only its own stacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.quotas import findings
from tests.support import CDK_CONTEXT, Synthesized, synthesize_system

SAMPLE = CDK_CONTEXT["cicd:applications"][0]
TWENTY = [SAMPLE] + [{**SAMPLE, "name": f"app{index:02}"} for index in range(2, 21)]
SHARED = [
    "cicd-guard-pipeline-dev",
    "cicd-guard-staging-dev",
    "cicd-guard-prod-dev",
    "cicd-monitoring-pipeline-dev",
    "cicd-foundation-pipeline-dev",
    "cicd-dev-dev",
    "cicd-staging-dev",
    "cicd-prod-dev",
]


def own_stacks(app: str) -> set[str]:
    return {f"cicd-{account}-{app}-dev" for account in ("pipeline", "dev", "staging", "prod")}


def templates(synthesized: Synthesized) -> dict[str, str]:
    """Each stack's template as written to the cloud assembly."""
    return {name: (synthesized.outdir / f"{name}.template.json").read_text() for name in synthesized.stack_names}


@pytest.fixture(scope="module")
def twenty(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize_system(tmp_path_factory.mktemp("twenty"), **{"cicd:applications": TWENTY})


def test_twenty_applications_synthesize_under_the_gate_within_every_quota(twenty: Synthesized) -> None:
    assert twenty.error == ""
    written = templates(twenty)
    assert len(written) == len(SHARED) + 4 * len(TWENTY)
    manifest = json.loads((twenty.outdir / "manifest.json").read_text())["artifacts"]
    accounts = {name: manifest[name]["environment"].split("/")[2] for name in written}
    bodies = {name: (accounts[name], json.loads(text), len(text.encode())) for name, text in written.items()}
    assert findings(bodies) == []  # every template, resource and account below 90% of its quota
    largest = max(len(body["Resources"]) for _, body, _ in bodies.values())
    assert largest < 100, "a stack per application keeps every template far from 500 resources"


def test_no_shared_stack_names_an_application(twenty: Synthesized) -> None:
    """The shared stacks match the applications by how their names end: none lists them."""
    written = templates(twenty)
    for stack in SHARED:
        mentioned = [app["name"] for app in TWENTY[1:] if f"{app['name']}-" in written[stack]]
        assert mentioned == [], stack


def test_adding_applications_adds_their_stacks_and_changes_no_other(system: Synthesized, twenty: Synthesized) -> None:
    """cdk.json's one application, then nineteen more: every template of the first synthesis is unchanged."""
    before, after = templates(system), templates(twenty)
    assert {name: after[name] for name in before} == before
    assert set(after) - set(before) == set().union(*(own_stacks(app["name"]) for app in TWENTY[1:]))


def test_changing_one_applications_settings_changes_only_its_stacks(system: Synthesized, tmp_path: Path) -> None:
    changed = {**SAMPLE, "cpu": 512, "memory": 1024, "containerPort": 9000, "healthCheckPath": "/ready"}
    other = synthesize_system(tmp_path, **{"cicd:applications": [changed]})
    assert other.error == ""
    before, after = templates(system), templates(other)
    assert set(before) == set(after)
    assert {name for name in before if before[name] != after[name]} == own_stacks("sample")
