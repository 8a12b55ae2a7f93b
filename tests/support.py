"""Synthesize the system the way app.py does (gate and cdk-nag included), for assertions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from compliance_gate.aspects import GATE_CONTEXT, GateRun

ROOT = Path(__file__).resolve().parent.parent
CDK_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]


def context(**overrides: Any) -> dict[str, Any]:
    """cdk.json's context with `overrides` (keys as written in cdk.json) applied, and the context the gate
    needs (an app the gate is applied to after its stacks were built must have it from the start)."""
    return {**CDK_CONTEXT, **GATE_CONTEXT, **overrides}


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
