"""Reading synthesized templates: resources by type or by name, several stacks read as one."""

from __future__ import annotations

import json
from typing import Any

SECTIONS = ("Parameters", "Conditions", "Mappings", "Resources", "Outputs")


def of_type(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    """The template's resources of `cfn_type`, by logical ID."""
    return {key: body for key, body in (template.get("Resources") or {}).items() if body.get("Type") == cfn_type}


def named(template: dict[str, Any], cfn_type: str, prop: str, name: str) -> tuple[str, dict[str, Any]]:
    """The one resource of `cfn_type` whose `prop` is `name`: (logical ID, body)."""
    matches = [(key, body) for key, body in of_type(template, cfn_type).items() if body["Properties"].get(prop) == name]
    assert len(matches) == 1, f"expected one {cfn_type} named {name}, found {[key for key, _ in matches]}"
    return matches[0]


def merged(templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Several stacks' templates read as one (an account's part of the system spans a shared stack and
    one stack per application): their sections joined; an entry two stacks hold alike (a provider
    every stack has) once, entries that differ under one ID as `<stack>/<ID>`."""
    result: dict[str, Any] = {section: {} for section in SECTIONS}
    for stack, template in templates.items():
        for section in SECTIONS:
            for key, value in (template.get(section) or {}).items():
                if key in result[section] and result[section][key] != value:
                    key = f"{stack}/{key}"
                result[section][key] = value
    return result


def project_spec(template: dict[str, Any], name: str) -> dict[str, Any]:
    """The buildspec of the CodeBuild project named `name`, references rendered as `<ref>`."""
    (body,) = [b for b in of_type(template, "AWS::CodeBuild::Project").values() if b["Properties"]["Name"] == name]
    spec = body["Properties"]["Source"]["BuildSpec"]
    if isinstance(spec, dict):  # Fn::Join around references
        spec = "".join(part if isinstance(part, str) else "<ref>" for part in spec["Fn::Join"][1])
    return json.loads(spec)
