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

import aws_cdk as cdk

from aspects import GATE_CONTEXT, apply_gate, synth
from stacks.config import AppConfig, ConfigError, load_config
from stacks.system import build_system

CDK_JSON = Path(__file__).with_name("cdk.json")


def new_app() -> cdk.App:
    """cdk.json's context as defaults (the CLI's, with its -c values, overrides them); the gate's wins."""
    context = json.loads(CDK_JSON.read_text())["context"]
    outdir = None if "CDK_OUTDIR" in os.environ else "cdk.out"
    return cdk.App(context=context, post_cli_context=GATE_CONTEXT, outdir=outdir)


def main(build: Callable[[cdk.App, AppConfig], object] = build_system) -> int:
    """Synthesize what `build` adds to the app; 2 on bad configuration, 1 when the gate refuses."""
    app = new_app()
    try:
        config = load_config(app.node)
        build(app, config)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return synth(app, apply_gate(app, suffix=config.suffix))


if __name__ == "__main__":
    sys.exit(main())
