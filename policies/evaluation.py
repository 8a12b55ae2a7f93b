"""Runs the rule catalog over resources and stacks: the code the Aspect and the plugin share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from compliance_gate.policies.acknowledgement_records import Acknowledgement, read
from compliance_gate.policies.catalog import RULES
from compliance_gate.policies.deploy_time import Undecidable, Variant, variants
from compliance_gate.policies.model import Resource, Rule, StackContext

PASS, FAIL, ACKNOWLEDGED, NOT_APPLICABLE, EXEMPT = "pass", "fail", "acknowledged", "not_applicable", "exempt"
Known = Callable[[Resource], "list[Result] | None"]
"""Verdicts reached before on a resource (the Aspects'), if they hold for it as given."""
Trusted = Callable[[Resource], "list[Acknowledgement]"]
"""The acknowledgements that count for a resource, from a source other than the template's metadata."""
STATUSES = (PASS, FAIL, ACKNOWLEDGED, NOT_APPLICABLE, EXEMPT)


@dataclass(frozen=True)
class Result:
    """The verdict of one rule on one resource."""

    rule_id: str
    status: str
    stack: str
    logical_id: str
    resource_type: str
    path: str
    messages: tuple[str, ...] = ()
    reason: str = ""
    """Why it is acknowledged or exempt."""
    expires: str = ""
    template: str = ""
    scope: str = ""
    """The construct the acknowledgement was given on (it covers everything below it)."""
    owner: str = ""
    """Who answers for the acknowledgement."""
    source: str = ""
    """`file:line` of the user's code that created the construct (or its nearest enclosing one), for
    violations and acknowledged findings; empty when unknown (checkov, a template without an app)."""
    source_region: tuple[int, ...] = ()
    """The creating call's (line, end line, column, end column), columns 1-based, with `source`."""


@dataclass
class Evaluator:
    """Evaluates resources with the catalog as of `today` (acknowledgements may expire)."""

    rules: tuple[Rule, ...] = RULES
    today: dt.date = field(default_factory=dt.date.today)

    def resource(
        self,
        resource: Resource,
        stack: StackContext,
        acknowledgements: Iterable[Acknowledgement] = (),
        template: str = "",
    ) -> list[Result]:
        by_rule: dict[str, Acknowledgement] = {}
        for ack in acknowledgements:
            by_rule.setdefault(ack.rule_id, ack)
        choices = _Variants(resource, stack)
        return [self._verdict(rule, resource, stack, by_rule.get(rule.id), template, choices) for rule in self.rules]

    def template(
        self,
        template: Mapping[str, Any],
        stack: StackContext,
        path: str = "",
        known: Known | None = None,
        acknowledged: Trusted | None = None,
    ) -> list[Result]:
        """Every rule over every resource of a template, and over the stack itself (a nested stack's too: its
        parameters' defaults, its sections, its own Transform). `known`: verdicts already reached on a
        resource exactly as the template has it, taken instead of judging it again. `acknowledged`: where
        acknowledgements come from instead of the template's metadata (what acknowledge() recorded)."""
        results = self.stack(template, stack, path, acknowledged)
        for logical_id, body in (template.get("Resources") or {}).items():
            resource = Resource.from_template(logical_id, body)
            earlier = known(resource) if known else None
            if earlier is not None:
                results += [replace(result, logical_id=logical_id, template=path) for result in earlier]
                continue
            if acknowledged is None:
                given = read(body.get("Metadata"), resource.path, (stack.path, logical_id))
            else:
                given = acknowledged(resource)
            results += self.resource(resource, stack, given, path)
        return results

    def stack(
        self, template: Mapping[str, Any], stack: StackContext, path: str = "", acknowledged: Trusted | None = None
    ) -> list[Result]:
        """Every rule over the stack itself (its name, region, protection, parameters)."""
        resource = stack.stack_resource()
        given = read(template.get("Metadata"), stack.path) if acknowledged is None else acknowledged(resource)
        return self.resource(resource, stack, given, path)

    def _verdict(
        self,
        rule: Rule,
        resource: Resource,
        stack: StackContext,
        ack: Acknowledgement | None,
        template: str,
        choices: _Variants,
    ) -> Result:
        where = {
            "rule_id": rule.id,
            "stack": stack.name,
            "logical_id": resource.logical_id,
            "resource_type": resource.type,
            "path": resource.path,
            "template": template,
        }
        if not rule.applies_to(resource.type):
            return Result(status=NOT_APPLICABLE, **where)
        reason = rule.exempt(resource, stack) if rule.exempt else None
        if reason:
            return Result(status=EXEMPT, reason=reason, **where)
        problems = tuple(choices.problems(rule))
        if not problems:
            return Result(status=PASS, **where)
        if ack is None:
            return Result(status=FAIL, messages=problems, **where)
        expires = ack.expires.isoformat() if ack.expires else ""
        if ack.expired(self.today):
            expired = (*problems, f"acknowledgement expired on {expires}: {ack.reason}")
            return Result(status=FAIL, messages=expired, reason=ack.reason, expires=expires, owner=ack.owner, **where)
        return Result(
            status=ACKNOWLEDGED,
            messages=problems,
            reason=ack.reason,
            expires=expires,
            scope=ack.scope,
            owner=ack.owner,
            **where,
        )


class _Variants:
    """The values deploy time can give one resource, worked out once for all the rules."""

    def __init__(self, resource: Resource, stack: StackContext) -> None:
        self.resource, self.stack = resource, stack
        self._variants: list[Variant] | None = None
        self._refused: Undecidable | None = None

    def _all(self) -> list[Variant]:
        if self._variants is None:
            try:
                self._variants = list(variants(self.resource, self.stack))
            except Undecidable as undecidable:
                self._variants, self._refused = [], undecidable
        return self._variants

    def problems(self, rule: Rule) -> list[str]:
        """The rule's problems over every variant, each labelled with the choice that leads to it; a value
        the rule cannot read at synth is a problem, never a pass."""
        problems: list[str] = []
        for variant in self._all():
            try:
                found = rule.check(variant.resource, self.stack)
            except Undecidable as undecidable:
                found = [undecidable.message()]
            problems += [f"{variant.label}: {problem}" if variant.label else problem for problem in found]
        if self._refused is not None:
            problems.append(self._refused.message())
        return list(dict.fromkeys(problems))
