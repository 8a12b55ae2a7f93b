"""One checkov check per catalog rule, calling the same rule function as the gate.

checkov hands a check one resource; the adapter reads that resource's template and the assembly
manifest from cdk.out (CDK_OUT, default ./cdk.out) for the stack context the rule needs, and the
environmentSuffix and region from the gate's report in that cloud assembly. Acknowledged findings
carry checkov's own skip metadata, so checkov lists them as skipped with the written reason; and a finding counts as
acknowledged here only if the gate's report (written at synth) says so. A stack's own findings (its
name, region, termination protection) have no resource of their own in checkov: each rule reports them
on its anchor, the template's first resource (by logical ID) the rule's check applies to, with the
stack named in the message, so checkov fails the same rules the gate does.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from functools import cache
from pathlib import Path

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

if importlib.util.find_spec("compliance_gate") is None:  # a checkout: the package root is two folders up
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from compliance_gate.policies.assembly import leftover, read_json, stack_context
from compliance_gate.policies.catalog import RULES
from compliance_gate.policies.evaluation import ACKNOWLEDGED, EXEMPT, FAIL, PASS, Evaluator, Result
from compliance_gate.policies.model import DEFAULT_REGION, Resource, Rule

_CHECKOV_RESULT = {PASS: CheckResult.PASSED, ACKNOWLEDGED: CheckResult.PASSED, EXEMPT: CheckResult.PASSED}


def cdk_out() -> Path:
    return Path(os.environ.get("CDK_OUT", "cdk.out")).resolve()


@cache
def gate_settings(directory: Path) -> tuple[str, str]:
    """(environmentSuffix, region) the gate judged the cloud assembly with, from its report there;
    ENVIRONMENT_SUFFIX and GATE_REGION override them."""
    report = directory / "compliance" / "report.json"
    document = json.loads(report.read_text()) if report.exists() else {}
    suffix = os.environ.get("ENVIRONMENT_SUFFIX") or document.get("environmentSuffix")
    region = os.environ.get("GATE_REGION") or document.get("region", DEFAULT_REGION)
    if not suffix:
        raise SystemExit(
            f"{report} is missing: synthesize under the compliance gate first (it writes the suffix and region "
            "this scan needs), or set ENVIRONMENT_SUFFIX"
        )
    return suffix, region


@cache
def acknowledged(directory: Path) -> frozenset[tuple[str, str, str]]:
    """(stack, logical ID, rule) the gate's last report lists as acknowledged: only acknowledge() can
    acknowledge, which this process cannot see, so the report written at synth is the record."""
    report = directory / "compliance" / "report.json"
    results = json.loads(report.read_text())["results"] if report.exists() else []
    return frozenset(
        (result["stack"], result["logical_id"], result["rule_id"])
        for result in results
        if result["status"] == ACKNOWLEDGED
    )


class RuleCheck(BaseResourceCheck):
    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        super().__init__(
            name=f"{rule.title} ({rule.severity})",
            id=rule.id,
            categories=[CheckCategories.CONVENTION],
            supported_resources=sorted(rule.resource_types) if rule.resource_types else ["*"],
            guideline=rule.fix,
        )

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        # entity_path is "<file relative to the scanned directory>:<type>:<logical ID>"
        relative, logical_id = self.entity_path.split(":", 1)[0], self.entity_path.rsplit(":", 1)[1]
        directory = cdk_out()
        template = directory / relative.lstrip("/")
        if leftover(template):
            return CheckResult.UNKNOWN  # not a stack of this cloud assembly: an earlier synthesis left it
        context = stack_context(template, *gate_settings(directory))
        body = context.resources[logical_id]
        resource = Resource.from_template(logical_id, body)
        evaluator = Evaluator(rules=(self.rule,))
        (result,) = evaluator.resource(resource, context)
        failures = self._failures(result, context.name, logical_id, directory)
        if logical_id == self._anchor(context.resources):
            (stack,) = evaluator.stack(read_json(template), context)
            stack_failures = self._failures(stack, context.name, context.name, directory)
            failures += [f"stack {context.name}: {message}" for message in stack_failures]
        if failures:
            self.details.extend(failures)
            return CheckResult.FAILED
        if result.status == FAIL:
            return CheckResult.PASSED  # acknowledged with acknowledge(), as the gate's report says
        return _CHECKOV_RESULT.get(result.status, CheckResult.UNKNOWN)

    def _failures(self, result: Result, stack: str, logical_id: str, directory: Path) -> list[str]:
        """The problems of a failed verdict; none if the gate's report says acknowledge() accepted it."""
        if result.status != FAIL or (stack, logical_id, self.rule.id) in acknowledged(directory):
            return []
        return list(result.messages)

    def _anchor(self, resources: dict) -> str | None:
        """The template's first resource (by logical ID) this check applies to: it carries the stack's findings."""
        types = self.rule.resource_types
        return min((key for key, body in resources.items() if types is None or body.get("Type") in types), default=None)


checks = [RuleCheck(rule) for rule in RULES]
