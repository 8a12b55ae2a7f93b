"""Synthesize the system (or a small test app) the way app.py does, for assertions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

ROOT = Path(__file__).resolve().parent.parent
CDK_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]


def context(**overrides: Any) -> dict[str, Any]:
    """cdk.json's context with `overrides` (keys as written in cdk.json) applied."""
    return {**CDK_CONTEXT, **overrides}


@dataclass
class Synthesized:
    app: cdk.App
    assembly: cdk.cx_api.CloudAssembly
    stacks: list[cdk.Stack] = field(default_factory=list)

    def template(self, stack_name: str) -> Template:
        return Template.from_json(self.raw(stack_name))

    def raw(self, stack_name: str) -> dict[str, Any]:
        return self.assembly.get_stack_by_name(stack_name).template

    @property
    def stack_names(self) -> list[str]:
        return [stack.stack_name for stack in self.stacks]


def synthesize_system(outdir: Path, **overrides: Any) -> Synthesized:
    """Build and synthesize the whole system with cdk.json's context plus `overrides`."""
    from stacks.config import load_config
    from stacks.system import build_system

    app = cdk.App(context=context(**overrides), outdir=str(outdir))
    config = load_config(app.node)
    stacks = build_system(app, config)
    return Synthesized(app=app, assembly=app.synth(), stacks=stacks)
