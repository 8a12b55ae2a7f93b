#!/usr/bin/env python3
"""Entry point: build the CI/CD system from validated configuration, under the compliance gate.

Works under the CDK CLI (`make synth`) and on its own (`python app.py`), in which case it reads
cdk.json's context itself and writes to ./cdk.out like the CLI would.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    import aws_cdk as cdk
except ModuleNotFoundError:  # `npx cdk ...` runs cdk.json's `python3 app.py` with whatever python3 is first
    VENV_PYTHON = Path(__file__).resolve().with_name(".venv") / "bin" / "python"
    if VENV_PYTHON.is_file() and Path(sys.prefix).resolve() != VENV_PYTHON.parent.parent.resolve():
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])
    sys.exit("error: aws_cdk is not installed for this python: run `make synth` once (it creates .venv)")
from cdk_nag import AwsSolutionsChecks

from compliance_gate.aspects import GATE_CONTEXT, AcknowledgementError, GateRun, apply_gate, synth
from stacks.config import AppConfig, ConfigError, cdk_json_context, load_config
from stacks.guard.bundle import MissingPackages
from stacks.quotas import STACK_RESOURCE_LIMIT, QuotaPlugin
from stacks.system import build_system

CDK_JSON = Path(__file__).with_name("cdk.json")
Build = Callable[[cdk.App, AppConfig], Any]


def new_app(outdir: str | None = None, **context: Any) -> cdk.App:
    """cdk.json's context as defaults (the CLI's, with its -c values, and `context` override them);
    the gate's context wins over all."""
    defaults = {**cdk_json_context(CDK_JSON), **context}
    if outdir is None and "CDK_OUTDIR" not in os.environ:
        outdir = "cdk.out"
    # CDK's own resource count check would throw before the quota plugin could report it in one line.
    quotas = {STACK_RESOURCE_LIMIT: 10**9}
    return cdk.App(context=defaults, post_cli_context={**GATE_CONTEXT, **quotas}, outdir=outdir)


def assemble(app: cdk.App, build: Build = build_system) -> tuple[AppConfig, Any, GateRun]:
    """Validate the configuration, put the app under the gate (before any stack: it records where the code
    creates each construct), build the stacks, and add cdk-nag."""
    config = load_config(app.node)
    gate = apply_gate(app, suffix=config.suffix)
    built = build(app, config)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), QuotaPlugin())
    return config, built, gate


def main(build: Build = build_system, outdir: str | None = None) -> int:
    """Synthesize; exit 2 on bad configuration, 1 when the gate, cdk-nag or a quota refuses."""
    try:
        app = new_app(outdir)
        _, _, gate = assemble(app, build)
    except (ConfigError, AcknowledgementError, MissingPackages) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return synth(app, gate)


if __name__ == "__main__":
    sys.exit(main())
