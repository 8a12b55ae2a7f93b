"""CloudWatch Logs JSON filter patterns, evaluated against a logged event (moto does not parse them)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.toolkit.events import json_path

_TOKEN = re.compile(r'\s*(\(|\)|&&|\|\||\$\.[A-Za-z0-9_.-]+|=|NOT EXISTS|"[^"]*"|\{|\})')


def filter_matches(pattern: str, event: dict[str, Any]) -> bool:
    """Evaluate a JSON metric filter pattern of the forms the app uses (`$.a = "v"`, `$.a NOT EXISTS`,
    `&&`, `||`, parentheses) against a logged event."""
    tokens = _tokens(pattern)
    assert tokens[0] == "{" and tokens[-1] == "}", pattern
    position, result = _or(tokens, 1, event)
    assert position == len(tokens) - 1, f"unparsed rest of {pattern!r}: {tokens[position:]}"
    return result


def _tokens(pattern: str) -> list[str]:
    tokens, position = [], 0
    while position < len(pattern.rstrip()):
        match = _TOKEN.match(pattern, position)
        assert match, f"unexpected filter pattern syntax at {pattern[position:]!r}"
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def _or(tokens: list[str], position: int, event: dict[str, Any]) -> tuple[int, bool]:
    return _chain(tokens, position, event, "||", _and)


def _and(tokens: list[str], position: int, event: dict[str, Any]) -> tuple[int, bool]:
    return _chain(tokens, position, event, "&&", _term)


def _chain(tokens: list[str], position: int, event: dict[str, Any], operator: str, operand: Any) -> tuple[int, bool]:
    position, result = operand(tokens, position, event)
    while tokens[position] == operator:
        position, other = operand(tokens, position + 1, event)
        result = (result or other) if operator == "||" else (result and other)
    return position, result


def _term(tokens: list[str], position: int, event: dict[str, Any]) -> tuple[int, bool]:
    if tokens[position] == "(":
        position, result = _or(tokens, position + 1, event)
        assert tokens[position] == ")"
        return position + 1, result
    path = tokens[position]
    try:
        value = json_path(event, path)
        present = True
    except (KeyError, TypeError):
        value, present = None, False
    if tokens[position + 1] == "NOT EXISTS":
        return position + 2, not present
    assert tokens[position + 1] == "=", tokens[position:]
    return position + 3, present and value == json.loads(tokens[position + 2])
