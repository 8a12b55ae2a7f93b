"""Exceptions to a rule: acknowledged on a construct with a written reason and an optional expiry.

An acknowledgement is written into the template, as metadata of every resource below the
construct (and of the template itself for a stack), so the Aspect, the validation plugin and
the checkov checks all read the same exceptions from the same place.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import jsii
from constructs import IConstruct

from policies.catalog import RULES_BY_ID

METADATA_KEY = "compliance:acknowledgements"
MIN_REASON_WORDS = 6


class AcknowledgementError(ValueError):
    """An acknowledgement without a proper rule, reason or date."""


@dataclass(frozen=True)
class Acknowledgement:
    rule_id: str
    reason: str
    expires: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def to_metadata(self) -> dict[str, str]:
        entry = {"rule": self.rule_id, "reason": self.reason}
        if self.expires:
            entry["expires"] = self.expires.isoformat()
        return entry

    @classmethod
    def from_metadata(cls, entry: Mapping[str, Any]) -> Acknowledgement:
        expires = entry.get("expires")
        return cls(entry["rule"], entry["reason"], dt.date.fromisoformat(expires) if expires else None)


def read(metadata: Mapping[str, Any] | None) -> list[Acknowledgement]:
    """The acknowledgements recorded in a resource's or a template's Metadata section."""
    return [Acknowledgement.from_metadata(entry) for entry in (metadata or {}).get(METADATA_KEY) or []]


def acknowledge(scope: IConstruct, rule_id: str, reason: str, *, expires: dt.date | str | None = None) -> None:
    """Accept `rule_id` findings on every resource below `scope` (and on the stack, if it is one)."""
    if rule_id not in RULES_BY_ID:
        raise AcknowledgementError(f"acknowledgement: rule {rule_id!r} is not in the catalog: {sorted(RULES_BY_ID)}")
    if len(reason.split()) < MIN_REASON_WORDS or not re.search(r"[.!]$", reason.strip()):
        raise AcknowledgementError(
            f"acknowledgement of {rule_id} on {scope.node.path}: reason {reason!r} must be at least one "
            f"sentence of {MIN_REASON_WORDS} or more words, ending with a full stop"
        )
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError as error:
            raise AcknowledgementError(
                f"acknowledgement of {rule_id}: expires {expires!r} is not YYYY-MM-DD"
            ) from error
    entry = Acknowledgement(rule_id, reason.strip(), expires).to_metadata()
    if isinstance(scope, cdk.Stack):
        existing = dict(scope.template_options.metadata or {})
        existing[METADATA_KEY] = [*existing.get(METADATA_KEY, []), entry]
        scope.template_options.metadata = existing
    cdk.Aspects.of(scope).add(_Recorder(entry), priority=cdk.AspectPriority.MUTATING)


@jsii.implements(cdk.IAspect)
class _Recorder:
    """Writes one acknowledgement into the metadata of every CfnResource it visits."""

    def __init__(self, entry: dict[str, str]) -> None:
        self._entry = entry

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, cdk.CfnResource):
            node.add_metadata(METADATA_KEY, [*(node.get_metadata(METADATA_KEY) or []), self._entry])
