"""Exceptions: acknowledged with a reason and an optional expiry, reported, and void once expired."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns

from compliance_gate.aspects import AcknowledgementError, acknowledge, apply_gate
from compliance_gate.policies.evaluation import ACKNOWLEDGED, FAIL
from tests.gate_cases import ENV
from tests.support import context

REASON = "The topic is created by a vendor construct that cannot be named yet."
OWNER = "platform-team"


def synth(tmp_path: Path, expires: str | None = None, today: dt.date | None = None, given: dt.date | None = None):
    """An unnamed topic acknowledged on `given`, judged by the gate on `today`."""
    app = cdk.App(context=context(**{"aws:cdk:enable-path-metadata": True}), outdir=str(tmp_path))
    stack = cdk.Stack(app, "ack-stack-dev", env=ENV)
    topic = sns.Topic(stack, "Unnamed")
    acknowledge(topic, "CMP005", REASON, owner=OWNER, expires=expires, today=given)
    run = apply_gate(app, suffix="dev", today=today)
    try:
        app.synth()
        error = ""
    except RuntimeError as failure:
        error = str(failure)
    results = [r for r in run.results if r.rule_id == "CMP005" and "/Unnamed/" in r.path + "/"]
    return results, error


def test_acknowledged_violation_passes_and_is_reported(tmp_path: Path) -> None:
    (result,), error = synth(tmp_path, expires="2099-12-31")
    assert error == ""
    assert result.status == ACKNOWLEDGED and result.reason == REASON and result.expires == "2099-12-31"
    report = (tmp_path / "compliance" / "report.md").read_text()
    assert "## Acknowledged exceptions (1)" in report and REASON in report
    sarif = json.loads((tmp_path / "compliance" / "report.sarif").read_text())
    (finding,) = sarif["runs"][0]["results"]
    assert finding["suppressions"][0]["justification"] == f"{REASON} (owner {OWNER}, expires 2099-12-31)"


def test_expired_acknowledgement_is_a_violation_again(tmp_path: Path) -> None:
    (result,), error = synth(tmp_path, expires="2026-01-31", today=dt.date(2026, 2, 1), given=dt.date(2026, 1, 2))
    assert "ValidationFailed" in error
    assert result.status == FAIL
    assert "acknowledgement expired on 2026-01-31" in result.messages[-1]


def test_acknowledgement_is_written_into_the_template(tmp_path: Path) -> None:
    synth(tmp_path)
    template = json.loads((tmp_path / "ack-stack-dev.template.json").read_text())
    (topic,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Topic"]
    assert topic["Metadata"]["compliance:acknowledgements"] == [
        {"rule": "CMP005", "reason": REASON, "scope": "ack-stack-dev/Unnamed", "owner": OWNER}
    ]


def forged(tmp_path: Path, write) -> list:
    """A violation whose acknowledgement metadata was written by other means than acknowledge()."""
    app = cdk.App(context=context(**{"aws:cdk:enable-path-metadata": True}), outdir=str(tmp_path))
    stack = cdk.Stack(app, "forged-stack-dev", env=ENV)
    topic = sns.Topic(stack, "Unnamed")
    write(topic.node.default_child)
    run = apply_gate(app, suffix="dev")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    return [r for r in run.results if r.rule_id == "CMP005" and "/Unnamed/" in r.path + "/"]


ENTRY = {"rule": "CMP005", "reason": REASON, "scope": "forged-stack-dev/Unnamed"}


@pytest.mark.parametrize(
    "write",
    [
        lambda cfn: cfn.add_metadata("compliance:acknowledgements", [ENTRY]),
        lambda cfn: cfn.add_override("Metadata.compliance:acknowledgements", [ENTRY]),
    ],
    ids=["add_metadata", "add_override"],
)
def test_metadata_written_by_other_means_silences_nothing(tmp_path: Path, write) -> None:
    (result,) = forged(tmp_path, write)
    assert result.status == FAIL  # judged by the plugin; the Aspect annotated it too


def test_an_acknowledgement_covers_only_its_scope(tmp_path: Path) -> None:
    app = cdk.App(context=context(**{"aws:cdk:enable-path-metadata": True}), outdir=str(tmp_path))
    stack = cdk.Stack(app, "scope-stack-dev", env=ENV)
    acknowledged, other = sns.Topic(stack, "Acknowledged"), sns.Topic(stack, "Other")
    acknowledge(acknowledged, "CMP005", REASON, owner=OWNER)
    # The same entry copied onto another resource does not count there.
    other.node.default_child.add_metadata(
        "compliance:acknowledgements", [{"rule": "CMP005", "reason": REASON, "scope": "scope-stack-dev/Acknowledged"}]
    )
    run = apply_gate(app, suffix="dev")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    statuses = {
        r.path.split("/")[1]: r.status
        for r in run.results
        if r.rule_id == "CMP005" and r.resource_type == "AWS::SNS::Topic"
    }
    assert statuses == {"Acknowledged": ACKNOWLEDGED, "Other": FAIL}
    report = (tmp_path / "compliance" / "report.md").read_text()
    assert "  - Acknowledged on `scope-stack-dev/Acknowledged` and everything below it" in report


@pytest.mark.parametrize("rewritten_path", ["path-stack-dev/Acknowledged/Resource", ""])
def test_a_copied_acknowledgement_with_its_path_rewritten_into_the_scope_silences_nothing(
    tmp_path: Path, rewritten_path: str
) -> None:
    """Copying the exact entry acknowledge() wrote, owner included, onto another resource and rewriting that
    resource's `aws:cdk:path` metadata into the scope (or to nothing) does not move the exception there."""
    app = cdk.App(context=context(**{"aws:cdk:enable-path-metadata": True}), outdir=str(tmp_path))
    stack = cdk.Stack(app, "path-stack-dev", env=ENV)
    acknowledged, other = sns.Topic(stack, "Acknowledged"), sns.Topic(stack, "Other")
    acknowledge(acknowledged, "CMP005", REASON, owner=OWNER)
    entry = {"rule": "CMP005", "reason": REASON, "scope": "path-stack-dev/Acknowledged", "owner": OWNER}
    other.node.default_child.add_override("Metadata.compliance:acknowledgements", [entry])
    other.node.default_child.add_override("Metadata.aws:cdk:path", rewritten_path)
    run = apply_gate(app, suffix="dev")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    statuses = {
        r.logical_id[:5]: r.status
        for r in run.results
        if r.rule_id == "CMP005" and r.resource_type == "AWS::SNS::Topic"
    }
    assert statuses == {"Ackno": ACKNOWLEDGED, "Other": FAIL}


def test_an_acknowledgement_on_the_whole_app_is_refused(tmp_path: Path) -> None:
    app = cdk.App(context=context(), outdir=str(tmp_path))
    with pytest.raises(AcknowledgementError, match="acknowledge a stack or a construct inside one, not the whole app"):
        acknowledge(app, "CMP005", REASON, owner=OWNER)


@pytest.mark.parametrize(
    ("rule_id", "reason", "expires", "complaint"),
    [
        ("CMP999", REASON, None, "the rule is not in the catalog \\(CMP001, CMP002"),
        ("CMP005", "legacy", None, "reason 'legacy' must be at least one sentence of 6 or more words"),
        ("CMP005", "We need this for now because of reasons", None, "reason .* ending with a full stop$"),
        ("CMP005", REASON, "next tuesday", "expires 'next tuesday' is not a date"),
    ],
)
def test_acknowledgement_needs_a_rule_a_sentence_and_a_date(rule_id, reason, expires, complaint) -> None:
    stack = cdk.Stack(cdk.App(), "s")
    with pytest.raises(AcknowledgementError, match=f"^acknowledgement of '{rule_id}' on s: {complaint}"):
        acknowledge(stack, rule_id, reason, owner=OWNER, expires=expires, today=dt.date(2026, 12, 2))


@pytest.mark.parametrize("owner", ["", " ", "x"])
def test_acknowledgement_needs_an_owner(owner: str) -> None:
    stack = cdk.Stack(cdk.App(), "s")
    with pytest.raises(AcknowledgementError, match=r"^acknowledgement of 'CMP005' on s: owner .* must name who"):
        acknowledge(stack, "CMP005", REASON, owner=owner)


def test_checkov_skips_an_acknowledged_finding_naming_its_owner_and_expiry(tmp_path: Path) -> None:
    app = cdk.App(context=context(), outdir=str(tmp_path))
    stack = cdk.Stack(app, "expiry-stack-dev", env=ENV)
    current = sns.Topic(stack, "Current")
    sns.Topic(stack, "Other")
    acknowledge(current, "CMP005", REASON, owner=OWNER, expires="2027-01-31", today=dt.date(2027, 1, 31))
    template = app.synth().get_stack_by_name("expiry-stack-dev").template
    skips = {
        ("Current" if logical_id.startswith("Current") else "Other"): body.get("Metadata", {}).get("checkov")
        for logical_id, body in template["Resources"].items()
        if body["Type"] == "AWS::SNS::Topic"
    }
    assert skips == {
        "Current": {"skip": [{"id": "CMP005", "comment": f"{REASON} (owner {OWNER}, until 2027-01-31)"}]},
        "Other": None,
    }
