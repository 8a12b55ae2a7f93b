#!/usr/bin/env python3
"""Entry point: build the CI/CD system from validated configuration, under the compliance gate."""

from __future__ import annotations

import sys

import aws_cdk as cdk

from aspects import GATE_FAILED, apply_gate
from stacks.config import ConfigError, load_config
from stacks.system import build_system


def main() -> int:
    app = cdk.App()
    try:
        config = load_config(app.node)
        build_system(app, config)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    gate = apply_gate(app, suffix=config.suffix)
    try:
        app.synth()
    except RuntimeError as error:
        if GATE_FAILED not in str(error):
            raise
        print(f"error: {gate.failure_summary()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
