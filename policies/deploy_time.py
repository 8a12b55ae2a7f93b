"""Values CloudFormation decides at deploy time: every value a resource can take, or a refusal.

A rule reads one resource as a plain mapping. Before it does, each deploy-time choice in the resource
is enumerated: a parameter takes each of its AllowedValues (without them, its Default and any other
value), a condition each value its definition allows, `Fn::If` the branch its condition selects. The
rule then judges every combination (a *variant*), with `Fn::Sub`, `Fn::FindInMap`, `Fn::Select` and
JSON policy strings evaluated. What no variant can know (a parameter without AllowedValues, an
import, a dynamic reference to SSM or Secrets Manager) becomes an `Unknown`: a string a rule cannot
read without raising `Undecidable`, so a verdict that depends on it fails closed.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from compliance_gate.policies.model import Resource, StackContext

MAX_VARIANTS = 64
NO_VALUE = "AWS::NoValue"
_DYNAMIC = re.compile(r"\{\{resolve:[^}]*\}\}")
_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")
_INTRINSICS = {"Fn::If", "Fn::Sub", "Fn::FindInMap", "Fn::ImportValue"}
_MARKERS = ("Fn::If", "Fn::Sub", "Fn::FindInMap", "Fn::ImportValue", "{{resolve:", '\\"Statement\\"')
"""Text that any deploy-time choice leaves in a resource's JSON (checked before walking it)."""
_LIST_TYPES = ("CommaDelimitedList", "List<")


class Undecidable(Exception):
    """A rule read a value only deploy time decides."""

    def __init__(self, value: Unknown) -> None:
        super().__init__(value.what)
        self.value = value

    def message(self) -> str:
        return f"{self.value.what} is decided at deploy time, so the gate cannot judge this resource; {self.value.how}"


class Unknown(str):
    """A deploy-time value: reading it in any way (comparing, hashing, converting) raises Undecidable."""

    what: str
    how: str

    def __new__(cls, what: str, how: str) -> Unknown:
        value = super().__new__(cls, f"${{{what}}}")
        value.what, value.how = what, how
        return value

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise Undecidable(self)

    def __repr__(self) -> str:
        return f"<{self.what}, decided at deploy time>"

    __eq__ = __ne__ = __hash__ = __str__ = __contains__ = __iter__ = __len__ = __getitem__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __format__ = __add__ = __radd__ = __mod__ = _refuse
    lower = upper = casefold = strip = lstrip = rstrip = split = rsplit = partition = _refuse
    startswith = endswith = find = rfind = index = count = replace = join = format = encode = _refuse
    isdigit = isdecimal = isnumeric = isalnum = isalpha = isupper = islower = _refuse


@dataclass(frozen=True)
class Variant:
    label: str
    """What this variant chose, e.g. `with parameter Env=prod`; empty when nothing was chosen."""
    resource: Resource


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def _parameter_unknown(name: str) -> Unknown:
    return Unknown(
        f"parameter {name}",
        f"give {name} AllowedValues the gate can judge each of, or pass a literal value at synth instead",
    )


def needs_variants(resource: Resource, stack: StackContext) -> bool:
    """Whether anything in the resource is decided at deploy time (the common case answers no quickly)."""
    values = (resource.properties, resource.deletion_policy, resource.update_replace_policy)
    dumped = json.dumps(values, default=str)
    refs = (json.dumps({"Ref": name}) for name in stack.parameters)  # as `dumps` writes them in `dumped`
    if not any(marker in dumped for marker in _MARKERS) and not any(ref in dumped for ref in refs):
        return False
    return any(_dynamic(value, stack.parameters) for value in values)


def _dynamic(value: Any, parameters: Mapping[str, Any]) -> bool:
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key in _INTRINSICS or (key == "Ref" and argument in parameters):
                return True
        return any(_dynamic(item, parameters) for item in value.values())
    if isinstance(value, list):
        return any(_dynamic(item, parameters) for item in value)
    if isinstance(value, str):
        return "{{resolve:" in value or (value.startswith("{") and '"Statement"' in value)
    return False


def variants(resource: Resource, stack: StackContext) -> Iterator[Variant]:
    """Every resource the deploy-time choices can make of this one (just itself when there are none)."""
    if not needs_variants(resource, stack):
        yield Variant("", resource)
        return
    names, condition_names = _choices_used(resource, stack)
    choices = [_candidates(name, stack.parameters[name]) for name in names]
    combinations = list(itertools.islice(itertools.product(*choices), MAX_VARIANTS + 1))
    if len(combinations) > MAX_VARIANTS:
        too_many = Unknown(
            f"the combination of parameters {', '.join(names)}",
            f"it has more than {MAX_VARIANTS} combinations to judge; give them fewer AllowedValues",
        )
        raise Undecidable(too_many)
    for combination in combinations:
        values = dict(zip(names, combination, strict=True))
        for conditions in _condition_choices(condition_names, stack, values):
            evaluate = _Evaluation(stack, values, conditions)
            chosen = replace(
                resource,
                properties=evaluate(resource.properties),
                deletion_policy=evaluate(resource.deletion_policy),
                update_replace_policy=evaluate(resource.update_replace_policy),
            )
            yield Variant(_label(values, conditions, choices, names), chosen)


def _candidates(name: str, parameter: Mapping[str, Any]) -> list[Any]:
    allowed = parameter.get("AllowedValues")
    kind = str(parameter.get("Type", "String"))
    if kind.startswith("AWS::SSM::Parameter::Value"):
        return [Unknown(f"parameter {name} (read from SSM at deploy time)", "pass the value at synth instead")]
    values = list(allowed) if isinstance(allowed, list) and allowed else []
    if not values:
        values = ([parameter["Default"]] if "Default" in parameter else []) + [_parameter_unknown(name)]
    if kind.startswith(_LIST_TYPES):
        return [value.split(",") if isinstance(value, str) and not is_unknown(value) else value for value in values]
    return values


def _choices_used(resource: Resource, stack: StackContext) -> tuple[list[str], list[str]]:
    """The parameters the resource depends on (directly, in Fn::Sub strings or through its
    conditions) and the conditions its own Fn::If name, found in one walk."""
    found: set[str] = set()
    conditions: set[str] = set()
    own: set[str] = set()

    def visit(value: Any, in_resource: bool) -> None:
        if isinstance(value, dict):
            if "Ref" in value and value["Ref"] in stack.parameters:
                found.add(value["Ref"])
            if "Fn::Sub" in value:
                template = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
                found.update(name for name in _SUB_NAME.findall(str(template)) if name in stack.parameters)
            if "Fn::If" in value and isinstance(value["Fn::If"], list) and value["Fn::If"]:
                conditions.add(str(value["Fn::If"][0]))
                if in_resource:
                    own.add(str(value["Fn::If"][0]))
            if "Condition" in value and isinstance(value["Condition"], str):
                conditions.add(value["Condition"])
            for item in value.values():
                visit(item, in_resource)
        elif isinstance(value, list):
            for item in value:
                visit(item, in_resource)

    visit([resource.properties, resource.deletion_policy, resource.update_replace_policy], True)
    seen: set[str] = set()
    while conditions - seen:
        name = (conditions - seen).pop()
        seen.add(name)
        visit(stack.conditions.get(name), False)
    return sorted(found), sorted(own)


def _condition_choices(names: list[str], stack: StackContext, values: dict[str, Any]) -> Iterator[dict[str, bool]]:
    """The conditions' values under these parameter values: fixed where their definition decides
    them, both ways where it cannot (a pseudo parameter, an unknown parameter, an undefined condition)."""
    fixed: dict[str, bool | None] = {name: _condition(name, stack, values) for name in names}
    open_names = [name for name, value in fixed.items() if value is None]
    for choice in itertools.product((True, False), repeat=len(open_names)):
        yield {**{k: v for k, v in fixed.items() if v is not None}, **dict(zip(open_names, choice, strict=True))}


def _condition(name: str, stack: StackContext, values: dict[str, Any], depth: int = 0) -> bool | None:
    """A condition's value, or None when it cannot be known here."""
    definition = stack.conditions.get(name)
    if definition is None or depth > 20:
        return None
    return _truth(definition, stack, values, depth)


def _truth(value: Any, stack: StackContext, values: dict[str, Any], depth: int) -> bool | None:
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((function, argument),) = value.items()
    if function == "Condition":
        return _condition(str(argument), stack, values, depth + 1)
    if function == "Fn::Not" and isinstance(argument, list) and len(argument) == 1:
        inner = _truth(argument[0], stack, values, depth)
        return None if inner is None else not inner
    if function in ("Fn::And", "Fn::Or") and isinstance(argument, list):
        parts = [_truth(item, stack, values, depth) for item in argument]
        if function == "Fn::And":
            return False if False in parts else None if None in parts else True
        return True if True in parts else None if None in parts else False
    if function == "Fn::Equals" and isinstance(argument, list) and len(argument) == 2:
        left, right = (_Evaluation(stack, values, {})(item) for item in argument)
        if is_unknown(left) or is_unknown(right) or _unresolved(left) or _unresolved(right):
            return None
        return str(left) == str(right)
    return None


def _unresolved(value: Any) -> bool:
    return isinstance(value, dict | list) and not isinstance(value, str)


@dataclass
class _Evaluation:
    """Evaluates one variant's intrinsics: parameter values and condition choices given."""

    stack: StackContext
    values: Mapping[str, Any]
    conditions: Mapping[str, bool]

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self(item) for item in value) if item is not _DROP]
        if isinstance(value, str):
            return self._string(value)
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            handler = getattr(self, _HANDLERS.get(function, ""), None)
            if handler is not None:
                return handler(argument, value)
        evaluated = {key: item for key, item in ((k, self(v)) for k, v in value.items()) if item is not _DROP}
        return type(value)(evaluated)  # keeps the mapping's kind (the Aspect reads keys case-insensitively)

    def _string(self, value: str) -> Any:
        dynamic = _DYNAMIC.search(value)
        if dynamic:
            return Unknown(
                f"the dynamic reference {dynamic.group(0)}",
                "CloudFormation resolves it at deploy time; give the value at synth where a rule must judge it",
            )
        if value.startswith("{") and '"Statement"' in value:
            try:
                return self(json.loads(value))  # a policy document given as a JSON string
            except ValueError:
                return value
        return value

    def _ref(self, argument: Any, original: dict[str, Any]) -> Any:
        if argument == NO_VALUE:
            return _DROP
        return self.values.get(argument, original)

    def _if(self, argument: Any, original: dict[str, Any]) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            return original
        name, when_true, when_false = argument
        return self(when_true if self.conditions.get(str(name), True) else when_false)

    def _sub(self, argument: Any, original: dict[str, Any]) -> Any:
        template, variables = (argument, {}) if isinstance(argument, str) else ([*argument, {}])[:2]
        local = {key: self(item) for key, item in (variables or {}).items()}
        unknown: list[Unknown] = []

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            value = local.get(name, self.values.get(name))
            if value is None:
                return match.group(0)  # a resource attribute or pseudo parameter: left for the rules
            if is_unknown(value):
                unknown.append(value)
                return match.group(0)
            return ",".join(value) if isinstance(value, list) else str(value)

        text = _SUB_NAME.sub(substitute, str(template))
        if unknown:
            return unknown[0]
        return {"Fn::Sub": text} if "${" in text else self._string(text)

    def _find_in_map(self, argument: Any, original: dict[str, Any]) -> Any:
        keys = [self(item) for item in argument] if isinstance(argument, list) else []
        unknown = [key for key in keys if is_unknown(key)]
        if unknown:
            return unknown[0]
        if len(keys) != 3 or not all(isinstance(key, str) for key in keys):
            return original  # keyed by a pseudo parameter or a reference: left for the rules, as a reference
        found = self.stack.mappings.get(keys[0], {}).get(keys[1], {}).get(keys[2])
        return original if found is None else self(found)

    def _import(self, argument: Any, original: dict[str, Any]) -> Any:
        return Unknown(
            f"the import {argument!r}" if isinstance(argument, str) else "an Fn::ImportValue",
            "another stack exports it at deploy time; pass the value in at synth where a rule must judge it",
        )

    def _select(self, argument: Any, original: dict[str, Any]) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            return original
        index, items = self(argument[0]), self(argument[1])
        if is_unknown(index) or is_unknown(items):
            return index if is_unknown(index) else items
        if isinstance(items, list) and str(index).isdigit() and int(index) < len(items):
            return items[int(index)]
        return original


_DROP = object()
_HANDLERS = {
    "Ref": "_ref",
    "Fn::If": "_if",
    "Fn::Sub": "_sub",
    "Fn::FindInMap": "_find_in_map",
    "Fn::ImportValue": "_import",
    "Fn::Select": "_select",
}


def _label(values: dict[str, Any], conditions: dict[str, bool], choices: list[list[Any]], names: list[str]) -> str:
    varying = [
        f"{name}={value!r}" if not is_unknown(value) else f"{name} given at deploy time"
        for name, value, options in zip(names, values.values(), choices, strict=True)
        if len(options) > 1
    ]
    varying += [f"condition {name} {'true' if value else 'false'}" for name, value in sorted(conditions.items())]
    return "with " + ", ".join(varying) if varying else ""
