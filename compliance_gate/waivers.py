"""Waivers: the acknowledgements of a reviewer who cannot edit the app, in a file the runner reads
(`python -m compliance_gate check APP --waivers FILE`).

A JSON list of {rule, path, reason, owner, expires?}: `path` is a shell-style pattern over construct
paths (`web-service-dev/Worker`, `*/Uploads`). Each entry gets the checks `acknowledge()` gives (a rule
of the catalog, a sentence of a reason, an owner, a date), then, in the app's process just before it
synthesizes, `acknowledge()` on every outermost construct the pattern matches: a waiver is an
acknowledgement, scoped, owned, expiring and shown in every report, never a switch that turns a rule off.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from compliance_gate.policies.acknowledgement_records import AcknowledgementError, validated
from compliance_gate.policies.catalog import RULES_BY_ID

FIELDS = {"rule", "path", "reason", "owner", "expires"}


def load(path: Path) -> list[dict[str, Any]]:
    """The file's waivers, each checked as acknowledge() checks an acknowledgement; AcknowledgementError
    names the file, the entry and what is wrong, in one line."""
    try:
        entries = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise AcknowledgementError(f"waivers {path}: expected a readable JSON list ({error})") from None
    if not isinstance(entries, list):
        raise AcknowledgementError(f"waivers {path}: expected a JSON list of waivers, got {type(entries).__name__}")
    for index, entry in enumerate(entries):
        where = f"waivers {path} entry {index}"
        if not isinstance(entry, dict) or not {"rule", "path", "reason", "owner"} <= set(entry) <= FIELDS:
            raise AcknowledgementError(
                f"{where}: expected an object with rule, path, reason, owner and optional expires"
            )
        if not isinstance(entry["path"], str) or not entry["path"].strip("/*"):
            raise AcknowledgementError(f"{where}: path {entry['path']!r} must name constructs, not the whole app")
        try:
            validated(
                entry["rule"], entry["reason"], entry.get("expires"), set(RULES_BY_ID), entry["path"], entry["owner"]
            )
        except AcknowledgementError as error:
            raise AcknowledgementError(f"{where}: {error}") from None
    return entries


def apply(app: Any, waivers: list[dict[str, Any]], source: str) -> None:
    """acknowledge() each waiver on the outermost constructs of `app` its pattern matches."""
    from compliance_gate.aspects.acknowledging import acknowledge

    constructs = [(construct.node.path, construct) for construct in app.node.find_all()]
    for index, waiver in enumerate(waivers):
        matched = [(path, c) for path, c in constructs if path and fnmatchcase(path, waiver["path"])]
        outermost = [(path, c) for path, c in matched if not any(path.startswith(f"{other}/") for other, _ in matched)]
        if not outermost:
            raise AcknowledgementError(
                f"waivers {source} entry {index}: path {waiver['path']!r} matches no construct of the app"
            )
        for _, construct in outermost:
            acknowledge(
                construct, waiver["rule"], waiver["reason"], owner=waiver["owner"], expires=waiver.get("expires")
            )
