"""`acknowledge()`: accept a rule's findings on a construct, with a written reason and an optional expiry.

The acknowledgement is written into the template, as metadata of every resource below the
construct (and of the template itself for a stack), so the Aspect, the validation plugin and the
checkov checks all read the same exceptions from the same place.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import aws_cdk as cdk
import jsii
from constructs import IConstruct

from compliance_gate.aspects.exit_hook import install_exit_hook
from compliance_gate.aspects.report import discard_reports
from compliance_gate.policies.acknowledgement_records import (
    METADATA_KEY,
    Acknowledgement,
    AcknowledgementError,
    checkov_skip,
    record,
    register,
    validated,
)
from compliance_gate.policies.catalog import RULES_BY_ID

CHECKOV_KEY = "checkov"


def acknowledge(
    scope: IConstruct,
    rule_id: str,
    reason: str,
    *,
    owner: str,
    expires: dt.date | str | None = None,
    today: dt.date | None = None,
) -> None:
    """Accept `rule_id` findings on every resource below `scope` (and on the stack, if it is one), with
    a reason, an owner who answers for it and an optional expiry; once it is past (as of `today`) the
    findings are violations again.
    checkov is told to skip them only while the acknowledgement has not expired.

    The scope is a stack or a construct inside one: an acknowledgement on the whole app (or a Stage)
    would silence the rule everywhere, which is turning the rule off, not an exception to it.
    """
    install_exit_hook()
    try:
        if not _in_stack(scope):
            raise AcknowledgementError(
                f"acknowledgement of {rule_id!r} on {scope.node.path or 'the app'}: acknowledge a stack or a "
                "construct inside one, not the whole app or a Stage (that would turn the rule off)"
            )
        acknowledgement = validated(rule_id, reason, expires, set(RULES_BY_ID), scope.node.path, owner)
    except AcknowledgementError:
        app = cdk.App.of(scope)
        if app is not None:  # the run stops here (exit 2): no earlier run's report may look like its own
            discard_reports(Path(app.outdir) / "compliance")
        raise
    today = today or dt.date.today()
    register(acknowledgement)
    if isinstance(scope, cdk.Stack):
        metadata = dict(scope.template_options.metadata or {})
        metadata[METADATA_KEY] = [*metadata.get(METADATA_KEY, []), acknowledgement.to_metadata()]
        scope.template_options.metadata = metadata
    recorder = _Recorder(acknowledgement, today)
    cdk.Aspects.of(scope).add(recorder, priority=cdk.AspectPriority.MUTATING)


def _in_stack(scope: IConstruct) -> bool:
    """Whether the construct is a stack or lies inside one."""
    return any(isinstance(node, cdk.Stack) for node in scope.node.scopes)


@jsii.implements(cdk.IAspect)
class _Recorder:
    """Writes one acknowledgement into the metadata of every CfnResource it visits."""

    def __init__(self, acknowledgement: Acknowledgement, today: dt.date) -> None:
        self._acknowledgement, self._today = acknowledgement, today

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, cdk.CfnResource):
            return
        entry = self._acknowledgement.to_metadata()
        node.add_metadata(METADATA_KEY, [*(node.get_metadata(METADATA_KEY) or []), entry])
        stack = node.stack
        record(self._acknowledgement, stack.node.path, stack.resolve(node.logical_id))
        if not self._acknowledgement.expired(self._today):
            checkov = dict(node.get_metadata(CHECKOV_KEY) or {})
            checkov["skip"] = [*checkov.get("skip", []), checkov_skip(self._acknowledgement)]
            node.add_metadata(CHECKOV_KEY, checkov)
