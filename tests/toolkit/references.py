"""CloudFormation intrinsics rendered as text, the way the tests compare them."""

from __future__ import annotations

import re
from typing import Any

ACCOUNT = "111111111111"
REGION = "us-east-1"
PSEUDO_PARAMETERS = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}
"""cdk.json's pipeline account in us-east-1."""


def render(value: Any) -> str:
    """A template value as text; references become placeholders that still read as JSON string content:
    `${Ref:X}`, `${GetAtt:X.Attr}`, `${Select:i:<inner>}`, `${Split:sep:<inner>}`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return PSEUDO_PARAMETERS.get(argument, f"${{Ref:{argument}}}")
        if function == "Fn::GetAtt":
            return f"${{GetAtt:{'.'.join(argument)}}}"
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(render(part) for part in parts)
        if function == "Fn::Select":
            index, inner = argument
            return f"${{Select:{index}:{render(inner)}}}"
        if function == "Fn::Split":
            separator, inner = argument
            return f"${{Split:{separator}:{render(inner)}}}"
    raise ValueError(f"cannot resolve {value!r}")


def references(text: str) -> set[str]:
    """The logical IDs a resolved value refers to."""
    return set(re.findall(r"(?:Ref|GetAtt):([A-Za-z0-9]+)", text))
