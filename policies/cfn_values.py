"""Reading CloudFormation values that may be intrinsics (Ref, Fn::Join, Fn::Sub, Fn::GetAtt).

Every rule goes through these helpers instead of handling intrinsics itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

OWN_ACCOUNT = "${AWS::AccountId}"
_PSEUDO = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}


def text(value: Any) -> str | None:
    """The value as text, with unresolvable parts written `${Ref}`/`${Logical.Attr}`; None if not text."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((function, argument),) = value.items()
    if function == "Ref":
        return _PSEUDO.get(argument, f"${{{argument}}}")
    if function == "Fn::GetAtt":
        target = argument if isinstance(argument, str) else ".".join(map(str, argument))
        return f"${{{target}}}"
    if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
        parts = [text(part) for part in argument[1]] if isinstance(argument[1], list) else [None]
        return None if None in parts or not isinstance(argument[0], str) else argument[0].join(parts)
    if function == "Fn::Sub":
        template = argument if isinstance(argument, str) else argument[0]
        return re.sub(r"\$\{(AWS::Partition|AWS::URLSuffix)\}", lambda m: _PSEUDO[m.group(1)], template)
    return None


def is_literal(value: Any) -> bool:
    """True when the value contains no intrinsic function at all."""
    if isinstance(value, dict):
        return not any(key == "Ref" or key.startswith("Fn::") for key in value) and all(
            is_literal(item) for item in value.values()
        )
    if isinstance(value, list):
        return all(is_literal(item) for item in value)
    return True


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def ref_target(value: Any) -> str | None:
    """The logical ID a `Ref` or `Fn::GetAtt` points at, else None."""
    if isinstance(value, dict) and "Ref" in value:
        return value["Ref"]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return target[0] if isinstance(target, list) else str(target).split(".")[0]
    return None


def number(value: Any) -> float | None:
    """A number as CloudFormation reads it, also from a numeric string ("90"); None if not a number."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Every (location, key, value) below a properties mapping, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            location = f"{path}.{key}" if path else str(key)
            yield location, key, item
            yield from walk(item, location)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")


def strings(value: Any) -> list[str]:
    """Every string below a properties mapping, at any depth (lists in lists, as Fn::Join has them)."""
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return [found for item in items for found in strings(item)]


def located_strings(value: Any, path: str = "", composed: bool = False) -> Iterator[tuple[str, str]]:
    """(location, string) of every string below a properties mapping: what `strings` lists, with where;
    with `composed`, a string made of pieces and references (Fn::Join, Fn::Sub) is read whole instead."""
    if composed and isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("Fn::Join", "Fn::Sub"):
        whole = text(value)
        if whole is not None:
            yield path, whole
            return
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from located_strings(item, f"{path}.{key}" if path else str(key), composed)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from located_strings(item, f"{path}[{index}]", composed)


def policy_documents(properties: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(location, document) of every policy document below a resource's properties, JSON strings included."""
    if isinstance(properties, str) and '"Statement"' in properties:
        try:
            properties = json.loads(properties)
        except ValueError:
            return
    if isinstance(properties, dict):
        if "Statement" in properties:
            yield path or "(document)", properties
            return
        for key, item in properties.items():
            yield from policy_documents(item, f"{path}.{key}" if path else str(key))
    elif isinstance(properties, list):
        for index, item in enumerate(properties):
            yield from policy_documents(item, f"{path}[{index}]")
