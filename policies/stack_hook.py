"""Judging a stack as CloudFormation hands it to a stack hook: the template text (JSON or YAML) it will
deploy and the one it replaces, the stack's name, account and region. The deploy-time guard's Lambda
function runs this with the same catalog and evaluator as the synth gate.

Acknowledgements come only from the register the guard was deployed with (`Register`): a template's
own `compliance:acknowledgements` metadata is text anyone who can write the template can write, so here
it silences nothing. An update is refused for the violations it brings; those the previous template
already had are reported, not refused, so an update that removes one is never blocked by the others.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from typing import Any

import yaml

from compliance_gate.policies.acknowledgement_records import Acknowledgement, AcknowledgementError, validated
from compliance_gate.policies.assembly import template_sections
from compliance_gate.policies.catalog import RULES_BY_ID
from compliance_gate.policies.evaluation import ACKNOWLEDGED, FAIL, Evaluator, Result
from compliance_gate.policies.model import Resource, StackContext
from compliance_gate.policies.sam import expanded

REGISTER_FIELDS = {"stack", "logicalId", "type", "rule", "reason", "owner", "expires"}


class TemplateError(ValueError):
    """The text is not a CloudFormation template the guard can read."""


class RegisterError(ValueError):
    """The register of accepted exceptions is malformed: one line naming the entry (`where`) and the problem."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.problem = problem


@dataclass(frozen=True)
class Accepted:
    """One accepted exception: a rule on one resource (by type) of one stack, with its acknowledgement."""

    stack: str
    logical_id: str
    resource_type: str
    acknowledgement: Acknowledgement


@dataclass(frozen=True)
class Register:
    """The exceptions the guard accepts, published with the guard by the system's own deployment."""

    entries: tuple[Accepted, ...] = ()

    @classmethod
    def from_json(cls, text: str) -> Register:
        try:
            raw = json.loads(text or "[]")
        except json.JSONDecodeError as error:
            raise RegisterError("register", f"expected a JSON list of exceptions ({error})") from None
        if not isinstance(raw, list):
            raise RegisterError("register", f"expected a JSON list of exceptions, got {type(raw).__name__}")
        return cls(tuple(entry(f"register entry {index}", item) for index, item in enumerate(raw)))

    def to_json(self) -> str:
        return json.dumps([_entry_json(exception) for exception in self.entries], separators=(",", ":"))

    def acknowledgements(self, stack: str, resource: Resource) -> list[Acknowledgement]:
        return [
            e.acknowledgement
            for e in self.entries
            if (e.stack, e.logical_id, e.resource_type) == (stack, resource.logical_id, resource.type)
        ]


def entry(where: str, item: Any) -> Accepted:
    """One register entry checked as acknowledge() checks an acknowledgement; RegisterError otherwise."""
    if not isinstance(item, dict) or not (REGISTER_FIELDS - {"expires"}) <= set(item) <= REGISTER_FIELDS:
        raise RegisterError(where, f"expected an object with {', '.join(sorted(REGISTER_FIELDS))} (expires optional)")
    for key in ("stack", "logicalId", "type"):
        if not isinstance(item[key], str) or not item[key]:
            raise RegisterError(where, f"{key} {item[key]!r} must be a non-empty string")
    scope = f"{item['stack']}/{item['logicalId']}"
    try:
        acknowledgement = validated(
            item["rule"], item["reason"], item.get("expires"), set(RULES_BY_ID), scope, item["owner"]
        )
    except AcknowledgementError as error:
        raise RegisterError(where, str(error)) from None
    return Accepted(item["stack"], item["logicalId"], item["type"], acknowledgement)


def _entry_json(exception: Accepted) -> dict[str, str]:
    ack = exception.acknowledgement
    found = {"stack": exception.stack, "logicalId": exception.logical_id, "type": exception.resource_type}
    found |= {"rule": ack.rule_id, "reason": ack.reason, "owner": ack.owner}
    return found | ({"expires": ack.expires.isoformat()} if ack.expires else {})


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (`!Ref`, `!GetAtt A.B`, `!Sub`, ...) read as their long forms,
    and dates left as the strings CloudFormation reads (`AWSTemplateFormatVersion: 2010-09-09`)."""


_TemplateLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _short_form)


def load_template(text: str) -> dict[str, Any]:
    """A template as CloudFormation was given it: JSON, or YAML with short-form intrinsics."""
    try:
        template = json.loads(text)
    except json.JSONDecodeError:
        try:
            template = yaml.load(text, Loader=_TemplateLoader)  # a SafeLoader with CloudFormation's tags
        except yaml.YAMLError as error:
            raise TemplateError(f"the template is neither JSON nor YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(template, dict) or not isinstance(template.get("Resources", {}), dict):
        raise TemplateError("the template is not a CloudFormation template (an object with a Resources object)")
    return template


@dataclass(frozen=True)
class Target:
    """The stack CloudFormation is operating on, as the hook request names it."""

    name: str
    account: str
    region: str


@dataclass(frozen=True)
class Verdict:
    brought: tuple[Result, ...]
    """Violations the new template brings: these refuse the operation."""
    carried: tuple[Result, ...]
    """Violations the previous template already had: reported, never refused."""
    acknowledged: tuple[Result, ...]

    @property
    def compliant(self) -> bool:
        return not self.brought


def judge(
    template: str,
    previous: str | None,
    target: Target,
    *,
    suffix: str,
    approved_region: str,
    register: Register,
    today: dt.date | None = None,
) -> Verdict:
    """Every rule over the template CloudFormation will deploy, acknowledgements from `register` only."""
    evaluator = Evaluator(today=today or dt.date.today())
    results = _results(load_template(template), target, suffix, approved_region, register, evaluator)
    before: set[tuple[str, str, str]] = set()
    if previous:
        old = _results(load_template(previous), target, suffix, approved_region, register, evaluator)
        before = {_key(result) for result in old if result.status == FAIL}
    failed = [result for result in results if result.status == FAIL]
    return Verdict(
        brought=tuple(result for result in failed if _key(result) not in before),
        carried=tuple(result for result in failed if _key(result) in before),
        acknowledged=tuple(result for result in results if result.status == ACKNOWLEDGED),
    )


def _key(result: Result) -> tuple[str, str, str]:
    return result.rule_id, result.logical_id, result.resource_type


def _results(
    template: dict[str, Any],
    target: Target,
    suffix: str,
    approved_region: str,
    register: Register,
    evaluator: Evaluator,
) -> list[Result]:
    context = StackContext(
        name=target.name, suffix=suffix, account=target.account, region=target.region, approved_region=approved_region
    )
    template, refusal = expanded(template, target.region)
    sections = template_sections(template, None, lambda *_: None)  # nested templates: only URLs here
    context = replace(context, **{**sections, "transforms": sections["transforms"] + refusal})
    return evaluator.template(
        template, context, acknowledged=lambda resource: register.acknowledgements(target.name, resource)
    )
