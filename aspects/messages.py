"""How a violation is worded, the same at every enforcement point and in the reports."""

from __future__ import annotations

from compliance_gate.policies.evaluation import Result
from compliance_gate.policies.model import Rule


def describe(rule: Rule, result: Result, *, with_path: bool = True, with_fix: bool = True) -> str:
    """One violation: rule, problems, where (the construct path unless it is shown anyway), fix
    (unless it is shown apart)."""
    where = f"construct {result.path or result.stack}, " if with_path else ""
    source = f", created at {result.source}" if result.source else ""
    fix = f". Fix: {rule.fix}" if with_fix else ""
    return (
        f"[{rule.id}] {rule.title}: {'; '.join(result.messages)} ({where}logical ID {result.logical_id}{source}){fix}"
    )
