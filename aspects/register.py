"""The register of accepted exceptions in a cloud assembly: the gate's acknowledgements, cdk-nag's
acknowledged findings and checkov's per-resource skips, each with its reason.

Written to <outdir>/compliance/exceptions.md on every synth; SECURITY.md embeds the same tables
(`make security-doc`: `python -m compliance_gate.aspects.register cdk.out SECURITY.md`), and a test keeps them equal.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from compliance_gate.policies.acknowledgement_records import METADATA_KEY
from compliance_gate.policies.assembly import manifest_templates

NAG_METADATA = "aws:cdk:acknowledged-rules"
"""Where CDK records acknowledged annotations: cdk-nag's suppressions, and aws-cdk-lib's own template
validation (`CloudFormation-Validate::...`) acknowledgements."""
CDK_VALIDATION = "CloudFormation-Validate::"
TOOLS = (
    ("gate", "Compliance gate"),
    ("cdk-nag", "cdk-nag"),
    ("aws-cdk-lib", "aws-cdk-lib's template validation"),
    ("checkov", "checkov (per resource)"),
)


@dataclass(frozen=True, order=True)
class Accepted:
    tool: str
    finding: str
    construct: str
    """Construct path below its stack (the same construct recurs in each environment's stack)."""
    reason: str


def _below_stack(path: str) -> str:
    parts = path.strip("/").split("/", 1)
    return parts[1] if len(parts) > 1 else "(the stack)"


def collect(outdir: Path, templates: list[Path] | None = None) -> dict[Accepted, list[str]]:
    """Every exception in the stacks of the assembly (`templates`, or those its manifest lists) -> the
    stacks it occurs in."""
    found: dict[Accepted, list[str]] = defaultdict(list)
    for template_file in sorted(manifest_templates(outdir) if templates is None else templates):
        stack = template_file.name.removesuffix(".template.json")
        for body in (json.loads(template_file.read_text()).get("Resources") or {}).values():
            metadata = body.get("Metadata") or {}
            construct = _below_stack(metadata.get("aws:cdk:path", ""))
            for entry in metadata.get(METADATA_KEY) or []:
                notes = [f"owner {entry['owner']}"] if entry.get("owner") else []
                notes += [f"expires {entry['expires']}"] if entry.get("expires") else []
                note = f" ({', '.join(notes)})" if notes else ""
                found[Accepted("gate", entry["rule"], construct, entry["reason"] + note)].append(stack)
            for skip in (metadata.get("checkov") or {}).get("skip") or []:
                if not skip["id"].startswith("CMP"):  # the gate's own, listed above already
                    found[Accepted("checkov", skip["id"], construct, skip["comment"])].append(stack)
        metadata_file = template_file.with_name(f"{stack}.metadata.json")
        if not metadata_file.exists():
            continue
        for path, entries in json.loads(metadata_file.read_text()).items():
            for entry in entries:
                if entry.get("type") == NAG_METADATA:
                    for finding, reason in entry["data"].items():
                        rule = finding.removeprefix("Annotation::")
                        tool = "aws-cdk-lib" if rule.startswith(CDK_VALIDATION) else "cdk-nag"
                        found[Accepted(tool, rule, _below_stack(path), reason)].append(stack)
    return found


def markdown(found: dict[Accepted, list[str]]) -> str:
    lines = []
    for tool, title in TOOLS:
        rows = sorted((e, stacks) for e, stacks in found.items() if e.tool == tool)
        lines += [f"#### {title}: {len(rows)}", ""]
        if not rows:
            lines += ["None.", ""]
            continue
        lines += ["| Finding | Construct | Stacks | Reason |", "|---|---|---|---|"]
        for exception, stacks in rows:
            cells = [exception.finding, f"`{exception.construct}`", ", ".join(sorted(set(stacks))), exception.reason]
            lines.append("| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def write(outdir: Path, templates: list[Path]) -> Path:
    """exceptions.md of the stacks this synthesis wrote (its manifest is not written yet)."""
    path = outdir / "compliance" / "exceptions.md"
    path.write_text("# Accepted exceptions\n\n" + markdown(collect(outdir, templates)))
    return path


BEGIN, END = "<!-- exceptions:begin -->", "<!-- exceptions:end -->"


def embedded(document: str) -> str:
    """The register embedded between the markers of a document such as SECURITY.md."""
    return document.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


def embed(document: str, register: str) -> str:
    before, rest = document.split(BEGIN, 1)
    return f"{before}{BEGIN}\n{register}\n{END}{rest.split(END, 1)[1]}"


if __name__ == "__main__":
    # python -m compliance_gate.aspects.register CDK_OUT [DOCUMENT]: print the register, or embed it in DOCUMENT
    register = markdown(collect(Path(sys.argv[1] if len(sys.argv) > 1 else "cdk.out"))).strip("\n")
    if len(sys.argv) > 2:
        target = Path(sys.argv[2])
        target.write_text(embed(target.read_text(), register))
    else:
        print(register)
