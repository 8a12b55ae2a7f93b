#!/usr/bin/env python3
"""Entry point: build the CI/CD system from validated configuration, under the compliance gate.

Works under the CDK CLI (`make synth`) and on its own (`python app.py`), in which case it reads
cdk.json's context itself and writes to ./cdk.out like the CLI would.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from compliance_gate.aspects import GATE_CONTEXT, AcknowledgementError, GateRun, apply_gate, synth
from stacks.config import AppConfig, ConfigError, load_config
from stacks.quotas import STACK_RESOURCE_LIMIT, QuotaPlugin
from stacks.system import build_system

CDK_JSON = Path(__file__).with_name("cdk.json")
Build = Callable[[cdk.App, AppConfig], Any]


def new_app(outdir: str | None = None, **context: Any) -> cdk.App:
    """cdk.json's context as defaults (the CLI's, with its -c values, and `context` override them);
    the gate's context wins over all."""
    defaults = {**json.loads(CDK_JSON.read_text())["context"], **context}
    if outdir is None and "CDK_OUTDIR" not in os.environ:
        outdir = "cdk.out"
    # CDK's own resource count check would throw before the quota plugin could report it in one line.
    quotas = {STACK_RESOURCE_LIMIT: 10**9}
    return cdk.App(context=defaults, post_cli_context={**GATE_CONTEXT, **quotas}, outdir=outdir)


def assemble(app: cdk.App, build: Build = build_system) -> tuple[AppConfig, Any, GateRun]:
    """Validate the configuration, build the stacks, and put them under the gate and cdk-nag."""
    config = load_config(app.node)
    built = build(app, config)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), QuotaPlugin())
    return config, built, apply_gate(app, suffix=config.suffix)


def main(build: Build = build_system, outdir: str | None = None) -> int:
    """Synthesize; exit 2 on bad configuration, 1 when the gate, cdk-nag or a quota refuses."""
    app = new_app(outdir)
    try:
        _, _, gate = assemble(app, build)
    except (ConfigError, AcknowledgementError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return synth(app, gate)


if __name__ == "__main__":
    sys.exit(main())
