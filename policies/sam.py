"""SAM templates expanded into the plain CloudFormation the SAM transform deploys, with AWS's own
translator (aws-sam-translator, the library CloudFormation's transform is built from), so the rules
judge the functions, roles and APIs that will exist rather than refusing the template."""

from __future__ import annotations

import copy
from typing import Any

from compliance_gate.policies.cfn_values import as_list

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


class NotExpanded(Exception):
    """The translator refused the template (or is not installed): the gate cannot read what it deploys."""


def expand(template: dict[str, Any], region: str) -> dict[str, Any]:
    """The template the SAM transform makes of `template` (the transform itself removed), offline: no
    managed policy lookups, pseudo parameters of `region`."""
    try:
        import boto3
        from samtranslator.parser import parser
        from samtranslator.translator.translator import Translator
    except ImportError as missing:
        raise NotExpanded(f"aws-sam-translator is not installed ({missing})") from missing
    try:
        expanded = Translator({}, parser.Parser(), boto_session=boto3.session.Session(region_name=region)).translate(
            sam_template=copy.deepcopy(template), parameter_values={}
        )
    except Exception as error:  # the translator's own errors carry its explanation
        raise NotExpanded(f"the SAM translator refused it: {error}") from error
    _place(expanded, template)
    transforms = [t for t in as_list(template.get("Transform")) if t != SAM_TRANSFORM]
    expanded.pop("Transform", None)
    if transforms:
        expanded["Transform"] = transforms
    return expanded


def expanded(template: dict[str, Any], region: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A SAM template as the transform will deploy it; if it cannot be expanded, the template as it is
    and the reason, which CMP009 reports with the transform."""
    if SAM_TRANSFORM not in as_list(template.get("Transform")):
        return template, ()
    try:
        return expand(template, region), ()
    except NotExpanded as error:
        return template, (f"{SAM_TRANSFORM} ({error})",)


def _place(expanded: dict[str, Any], template: dict[str, Any]) -> None:
    """Give each resource the translator made (a function's role, an API's stage) the construct path of the
    SAM resource it came from, whose logical ID its own begins with, so a violation names a construct."""
    paths = {
        logical_id: path
        for logical_id, body in (template.get("Resources") or {}).items()
        if (path := ((body or {}).get("Metadata") or {}).get("aws:cdk:path"))
    }
    for logical_id, body in (expanded.get("Resources") or {}).items():
        metadata = body.setdefault("Metadata", {})
        if "aws:cdk:path" in metadata:
            continue
        origins = [origin for origin in paths if logical_id.startswith(origin)]
        if origins:
            metadata["aws:cdk:path"] = paths[max(origins, key=len)]
