"""Acknowledged exceptions as they are recorded in templates: resource (or template) Metadata.

An acknowledgement names a rule, gives a reason and an owner (who answers for it), names the construct
it was given on (its scope) and may expire; expired, it no longer counts. Only `acknowledge()` can
acknowledge: it registers each acknowledgement in this process, and an entry in the metadata counts
only if it is registered and the resource lies in its scope. Metadata written by any other means
(add_metadata, an override, an included template) silences nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

METADATA_KEY = "compliance:acknowledgements"
MIN_REASON_WORDS = 6


@dataclass(frozen=True)
class Acknowledgement:
    rule_id: str
    reason: str
    expires: dt.date | None = None
    scope: str = ""
    """The construct path acknowledge() was given: it covers that construct and everything below it."""
    owner: str = ""
    """Who answers for the exception (a team, a person, an e-mail address)."""

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def to_metadata(self) -> dict[str, str]:
        entry = {"rule": self.rule_id, "reason": self.reason, "scope": self.scope, "owner": self.owner}
        if self.expires:
            entry["expires"] = self.expires.isoformat()
        return entry

    def covers(self, path: str) -> bool:
        return not path or path == self.scope or path.startswith(f"{self.scope}/")

    @classmethod
    def from_metadata(cls, entry: Mapping[str, Any]) -> Acknowledgement:
        expires = entry.get("expires")
        return cls(
            entry["rule"],
            entry["reason"],
            dt.date.fromisoformat(expires) if expires else None,
            entry.get("scope", ""),
            entry.get("owner", ""),
        )


REGISTERED: set[Acknowledgement] = set()
"""Every acknowledgement acknowledge() made in this process."""
RECORDED: set[tuple[Acknowledgement, str, str]] = set()
"""(acknowledgement, stack construct path, logical ID) of every resource acknowledge() recorded it on."""


ACCEPTED: set[tuple[str, str, str]] = set()
"""(stack construct path, logical ID, rule ID) of every finding the Aspects judged and an acknowledgement
accepted: what the deploy-time guard's register must hold for this app's stacks."""


def register(acknowledgement: Acknowledgement) -> None:
    REGISTERED.add(acknowledgement)


def record(acknowledgement: Acknowledgement, stack_path: str, logical_id: str) -> None:
    """The acknowledgement was written on this resource, found in the construct tree below its scope."""
    RECORDED.add((acknowledgement, stack_path, logical_id))


def read(
    metadata: Mapping[str, Any] | None, path: str = "", resource: tuple[str, str] | None = None
) -> list[Acknowledgement]:
    """The acknowledgements recorded in a template's Metadata section (the stack at `path`) that acknowledge()
    made for a scope the stack is in, or in the Metadata of `resource` (stack construct path, logical ID)
    that acknowledge() itself recorded on that very resource. Anything else written there does not count:
    an entry copied onto another resource, even with its `aws:cdk:path` rewritten to the scope, names a
    resource acknowledge() never recorded it on."""
    entries = (metadata or {}).get(METADATA_KEY) or []
    found = [Acknowledgement.from_metadata(entry) for entry in entries if isinstance(entry, Mapping)]
    if resource is not None:
        return [ack for ack in found if (ack, *resource) in RECORDED]
    return [ack for ack in found if ack in REGISTERED and ack.covers(path)]


class AcknowledgementError(ValueError):
    """An acknowledgement without a proper rule, reason or date."""


def validated(
    rule_id: str,
    reason: str,
    expires: dt.date | str | None,
    known_rules: set[str],
    where: str,
    owner: str = "",
) -> Acknowledgement:
    """An Acknowledgement of `rule_id` for the construct at `where`, or AcknowledgementError saying, in one
    line naming the construct, what is wrong."""
    about = f"acknowledgement of {rule_id!r} on {where or 'the app'}"
    if rule_id not in known_rules:
        raise AcknowledgementError(f"{about}: the rule is not in the catalog ({', '.join(sorted(known_rules))})")
    if not isinstance(reason, str) or len(reason.split()) < MIN_REASON_WORDS or not re.search(r"[.!]$", reason.strip()):
        raise AcknowledgementError(
            f"{about}: reason {reason!r} must be at least one sentence of {MIN_REASON_WORDS} or more words, "
            "ending with a full stop"
        )
    if not isinstance(owner, str) or len(owner.strip()) < 2:
        raise AcknowledgementError(f"{about}: owner {owner!r} must name who answers for it (a team, a person)")
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError as error:
            raise AcknowledgementError(f"{about}: expires {expires!r} is not a date (YYYY-MM-DD)") from error
    # A past expiry is not an error in the code: the acknowledgement is recorded and the gate reports its
    # findings as violations again ("acknowledgement expired on ..."), with the owner to renew or fix it.
    return Acknowledgement(rule_id, reason.strip(), expires, where, owner.strip())


def checkov_skip(acknowledgement: Acknowledgement) -> dict[str, str]:
    """The same exception in checkov's own `Metadata.checkov.skip` form, so checkov shows it as skipped."""
    expiry = f", until {acknowledgement.expires.isoformat()}" if acknowledgement.expires else ""
    owner = f" (owner {acknowledgement.owner}{expiry})" if acknowledgement.owner else ""
    return {"id": acknowledgement.rule_id, "comment": acknowledgement.reason + owner}
