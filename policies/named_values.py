"""Everything a template names, and its value: the entries of its mappings, name/value pairs of any
resource type (build and container variables, pipeline action variables), documents written inside
strings (JSON, an inline buildspec's YAML), and assignments and password options in code and command
lines. The rules that judge a setting by its name (CMP004's compute type, CMP007's region, CMP008's
credentials) read a resource through this one walk."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import yaml

from compliance_gate.policies.cfn_values import text
from compliance_gate.policies.deploy_time import is_unknown

PASSWORD_OPTION = "password option"

_COMMAND_PASSWORD = re.compile(
    r"""(?:\blogin\b[^;&|\n]*?\s-p\s*|\s--password(?:=|\s+))(?P<quote>['"]?)(?P<value>[^\s'"-][^\s'"]*)(?P=quote)"""
)
"""A password given on a command line: a login command's `-p VALUE` (docker, helm, podman...) or any
`--password VALUE` (`--password-stdin` reads it from standard input: no value written)."""
_ASSIGNMENT = re.compile(
    r"""(?<![\w.-])(?P<name>[A-Za-z_][\w.-]*)[ \t]*[=:][ \t]*(?P<quote>['"])(?P<value>[^'"\n]+)(?P=quote)"""
)
"""`name = 'value'` or `name: "value"` in code: a name starts where no name character precedes it (so a
long run of them, a base64 blob, is tried once, not from each of its characters)."""
_NAME_KEYS, _VALUE_KEYS = ("name", "key", "parametername", "variable"), ("value", "parametervalue")

_UNNAMED = frozenset({"value", "default", "values"})
"""Keys that say nothing of what they hold (an output's Value): the entry is named by its parent's key."""


_COMPOSING = ("Fn::Join", "Fn::Sub")


@cache
def embedded(value: str, key: str) -> Any:
    """A document written inside a string: JSON (an object or a list), or an inline buildspec's YAML."""
    stripped = value.strip()
    if stripped[:1] in "{[":
        try:
            return json.loads(stripped)
        except ValueError:
            pass
    if key.lower() == "buildspec" and "\n" in value:
        try:
            return yaml.safe_load(value)
        except yaml.YAMLError:
            return None
    return None


def _pair(item: dict[str, Any]) -> tuple[str, Any] | None:
    """(name, value) of a name/value pair of any resource type, unless its type says the value is a reference
    (a build variable of type SECRETS_MANAGER or PARAMETER_STORE)."""
    lowered = {str(key).lower(): value for key, value in item.items()}
    name = next((lowered[key] for key in _NAME_KEYS if isinstance(lowered.get(key), str)), None)
    value_key = next((key for key in _VALUE_KEYS if key in lowered), None)
    if name is None or value_key is None or str(lowered.get("type", "PLAINTEXT")).upper() != "PLAINTEXT":
        return None
    return name, lowered[value_key]


def named_values(value: Any, path: str = "", key: str = "") -> Iterator[tuple[str, str, Any]]:
    """(location, name, value) of everything a template names: mapping entries, name/value pairs, documents
    embedded in strings, and assignments and password options in code and command lines."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _COMPOSING:
        written = text(value)  # a string composed of pieces and references (a state machine's definition)
        document = embedded(written, key) if written is not None else None
        if isinstance(document, dict | list):
            yield from named_values(document, f"{path}<embedded>", key)
            return
    if isinstance(value, dict):
        pair = _pair(value)
        if pair is not None:
            yield path, *pair
        compared = value.get("Fn::Equals")
        if isinstance(compared, list) and len(compared) == 2:  # a parameter compared with a literal
            for side, other in (compared, compared[::-1]):
                if isinstance(side, dict) and isinstance(side.get("Ref"), str) and not isinstance(other, dict | list):
                    yield f"{path}.Fn::Equals", side["Ref"], other
        for name, item in value.items():
            location = f"{path}.{name}" if path else str(name)
            named = key if str(name).lower() in _UNNAMED and key else str(name)
            document = isinstance(item, str) and not is_unknown(item) and embedded(item, str(name))
            if not isinstance(item, dict | list) and not document:
                yield location, named, item
            yield from named_values(item, location, str(name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from named_values(item, f"{path}[{index}]", key)
    elif isinstance(value, str) and not is_unknown(value):
        document = embedded(value, key)
        if isinstance(document, dict | list):
            yield from named_values(document, f"{path}<embedded>", key)
            return
        yield from _code(value, path)


@cache
def _code(text: str, path: str) -> tuple[tuple[str, str, str], ...]:
    """Assignments and command-line passwords in a text (only texts that can hold them are searched)."""
    found: list[tuple[str, str, str]] = []
    if ("'" in text or '"' in text) and ("=" in text or ":" in text):
        found += [(f"{path}<code>", m.group("name"), m.group("value")) for m in _ASSIGNMENT.finditer(text)]
    if "login" in text or "--password" in text:
        found += [(f"{path}<command>", PASSWORD_OPTION, m.group("value")) for m in _COMMAND_PASSWORD.finditer(text)]
    return tuple(found)
