"""A pytest plugin that switches one enforcement point off (GATE_DISABLED_POINT=aspect|plugin|checkov),
so tests/check_enforcement_points.py can show that the route tests fail for the routes only that point
covers. Loaded with `-p tests.disable_point`; without the variable it changes nothing."""

from __future__ import annotations

import os

import aws_cdk as cdk

from compliance_gate.aspects.plugin import CompliancePlugin
from compliance_gate.aspects.rule_aspects import RuleAspect

POINT = os.environ.get("GATE_DISABLED_POINT", "")


def _no_judgement(self, context) -> cdk.PolicyValidationPluginReport:
    self._run.record([], [])
    return cdk.PolicyValidationPluginReport(success=True, violations=[])


if POINT == "aspect":
    RuleAspect.visit = lambda self, node: None
elif POINT == "plugin":
    CompliancePlugin.validate = _no_judgement
