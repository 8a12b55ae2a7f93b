"""CMP005 covers every type the resource schemas give a physical name (issue 11, class 6), and its
suffix check reads the environmentSuffix only as the name's own last token."""

from __future__ import annotations

import json
from pathlib import Path

import cfnlint
import pytest

from compliance_gate.policies.model import CUSTOM_RESOURCES, Resource, StackContext
from compliance_gate.policies.name_limits import GENERATED, NAME_LIMITS, generate
from compliance_gate.policies.rules import naming

SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"
STACK = StackContext(name="s-dev", suffix="dev", account="111111111111", region="us-east-1")


def test_the_name_properties_are_generated_from_the_schemas_cfn_lint_ships() -> None:
    assert json.loads(GENERATED.read_text()) == generate(SCHEMAS), "stale: run `python -m policies.name_limits`"


def test_every_type_with_a_physical_name_is_judged() -> None:
    named = set(generate(SCHEMAS))
    assert len(named) > 500
    assert named <= set(NAME_LIMITS) == set(naming.RULE.resource_types) - CUSTOM_RESOURCES


def bucket(name: str) -> list[str]:
    return naming.check(Resource("B", "AWS::SQS::Queue", {"QueueName": name}), STACK)


@pytest.mark.parametrize(
    "name", ["orders-queue-dev", "orders-queue-prod-dev", "orders-queue-dev.fifo", "orders-bucket-dev-111111111111"]
)
def test_the_suffix_as_the_names_last_token_passes(name: str) -> None:
    assert bucket(name) == []


@pytest.mark.parametrize("name", ["orders-dev-queue", "dev-orders-queue", "orders-queue-devx", "orders-queue-dev-x"])
def test_a_suffix_anywhere_else_does_not_count(name: str) -> None:
    assert bucket(name) == [
        f"QueueName {name!r} does not follow resource-type-environment-suffix with the environmentSuffix 'dev' as "
        "its last dash-separated token"
    ]
