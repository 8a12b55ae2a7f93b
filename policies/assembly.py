"""Reading a synthesized cloud assembly (cdk.out): a template's stack context and nested templates.

Shared by the validation plugin and the checkov checks, which both start from template files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from compliance_gate.policies.cfn_values import as_list, text
from compliance_gate.policies.model import StackContext


def read_json(path: Path) -> dict[str, Any]:
    """Parsed once per version of the file, for every reader: checkov asks for the same template for every
    resource, and both validation plugins read every template. Read only: the object is shared."""
    stat = path.stat()
    return _parse(path, stat.st_mtime_ns, stat.st_size)


@cache
def _parse(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    return json.loads(path.read_text())


def stack_artifact(template_path: Path) -> dict[str, Any]:
    """The stack's entry in the assembly manifest next to its template, or {} (nested templates)."""
    manifest = template_path.parent / "manifest.json"
    if not manifest.exists():
        return {}
    for artifact in read_json(manifest).get("artifacts", {}).values():
        if artifact.get("properties", {}).get("templateFile") == template_path.name:
            return artifact
    return {}


def manifest_templates(directory: Path) -> list[Path]:
    """The templates of the stacks the cloud assembly's manifest lists, nested assemblies (Stages)
    included: not files an earlier synthesis left in the directory."""
    manifest = directory / "manifest.json"
    if not manifest.exists():
        return []
    found = []
    for artifact in read_json(manifest).get("artifacts", {}).values():
        properties = artifact.get("properties", {})
        if artifact.get("type") == "aws:cloudformation:stack":
            found.append(directory / properties["templateFile"])
        elif artifact.get("type") == "cdk:cloud-assembly":
            found += manifest_templates(directory / properties["directoryName"])
    return found


def leftover(template_path: Path) -> bool:
    """A stack template its directory's manifest does not list: left from an earlier synthesis (nested
    stacks' templates are assets of their parent, never manifest artifacts)."""
    if template_path.name.endswith(".nested.template.json") or not (template_path.parent / "manifest.json").exists():
        return False
    return not stack_artifact(template_path)


def stack_context(template_path: Path, suffix: str, approved_region: str) -> StackContext:
    """What the manifest says of the stack a template belongs to, with the template's resources."""
    artifact = stack_artifact(template_path)
    properties = artifact.get("properties", {})
    account, region = account_and_region(artifact.get("environment", "aws://unknown-account/unknown-region"))
    template = read_json(template_path)
    return StackContext(
        name=properties.get("stackName", template_path.name.split(".")[0]),
        suffix=suffix,
        approved_region=approved_region,
        account=account,
        region=region,
        termination_protection=bool(properties.get("terminationProtection")),
        path=artifact.get("displayName", ""),
        **template_sections(template, template_path),
    )


def account_and_region(environment: str) -> tuple[str | None, str | None]:
    """A stack's `aws://account/region`, None for what it leaves to deploy time (`unknown-account`)."""
    account, _, region = environment.removeprefix("aws://").partition("/")
    return (None if account.startswith("unknown") else account), (None if region.startswith("unknown") else region)


NestedTemplates = Callable[[Path, str, dict[str, Any]], "Path | None"]
"""Where the template of a nested stack is, given its parent's template file, its logical ID and its
resource body; None when it is not at hand."""


def in_assembly(parent: Path, logical_id: str, body: dict[str, Any]) -> Path | None:
    """The nested stack's template among the files of the parent's cloud assembly."""
    return nested_template(parent.parent, body)


def template_sections(
    template: dict[str, Any], template_path: Path, nested: NestedTemplates = in_assembly
) -> dict[str, Any]:
    """The StackContext fields a template itself gives: resources, what deploy time decides (parameters,
    conditions, mappings), transforms, and the nested stacks whose templates are at hand."""
    return {
        "resources": template.get("Resources") or {},
        "parameters": template.get("Parameters") or {},
        "conditions": template.get("Conditions") or {},
        "mappings": template.get("Mappings") or {},
        "outputs": template.get("Outputs") or {},
        "metadata": template.get("Metadata") or {},
        "transforms": tuple(as_list(template.get("Transform"))),
        "readable_nested": frozenset(
            logical_id
            for logical_id, body in (template.get("Resources") or {}).items()
            if body.get("Type") == "AWS::CloudFormation::Stack" and nested(template_path, logical_id, body) is not None
        ),
    }


def nested_template(directory: Path, body: dict[str, Any]) -> Path | None:
    """The file of a nested stack's template: from asset metadata, or else from the assets manifests."""
    asset_path = (body.get("Metadata") or {}).get("aws:asset:path")
    if asset_path:
        return directory / asset_path
    url = text((body.get("Properties") or {}).get("TemplateURL")) or ""
    object_key = url.rsplit("/", 1)[-1]
    for manifest in directory.glob("*.assets.json"):
        for asset in read_json(manifest).get("files", {}).values():
            if any(d.get("objectKey") == object_key for d in asset.get("destinations", {}).values()):
                return directory / asset["source"]["path"]
    return None
