"""Synthesize the system the way app.py does (gate and cdk-nag included), for assertions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from aspects import GateRun

ROOT = Path(__file__).resolve().parent.parent
CDK_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]


def context(**overrides: Any) -> dict[str, Any]:
    """cdk.json's context with `overrides` (keys as written in cdk.json) applied."""
    return {**CDK_CONTEXT, **overrides}


@dataclass
class Synthesized:
    app: cdk.App
    outdir: Path
    gate: GateRun
    error: str = ""
    """The synthesis error (the gate's or cdk-nag's report), empty when synthesis passed."""
    stacks: list[cdk.Stack] = field(default_factory=list)

    def template(self, stack_name: str) -> Template:
        return Template.from_json(self.raw(stack_name))

    def raw(self, stack_name: str) -> dict[str, Any]:
        stack = next(stack for stack in self.stacks if stack.stack_name == stack_name)
        return json.loads((self.outdir / stack.template_file).read_text())

    @property
    def stack_names(self) -> list[str]:
        return [stack.stack_name for stack in self.stacks]

    @property
    def validation_report(self) -> dict[str, Any]:
        report = self.outdir / "validation-report.json"
        return json.loads(report.read_text()) if report.exists() else {"pluginReports": []}


SECTIONS = ("Parameters", "Conditions", "Mappings", "Resources", "Outputs")


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


def synthesize_system(outdir: Path, **overrides: Any) -> Synthesized:
    """Build and synthesize the whole system as app.py does, with cdk.json's context plus `overrides`."""
    from app import assemble, new_app

    app = new_app(outdir=str(outdir), **overrides)
    _, stacks, gate = assemble(app)
    result = Synthesized(app=app, outdir=outdir, gate=gate, stacks=stacks)
    try:
        app.synth()
    except RuntimeError as error:
        result.error = str(error)
    return result
