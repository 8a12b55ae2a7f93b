"""Composes the whole system: which stacks exist, in which account, in which order."""

from __future__ import annotations

import aws_cdk as cdk

from stacks.config import AppConfig
from stacks.naming import PIPELINE, Names


def build_system(app: cdk.App, config: AppConfig) -> list[cdk.Stack]:
    """Add every stack of the system to `app`; returns them in deploy order."""
    names = Names(config.suffix)
    stacks: list[cdk.Stack] = []
    # Issue 3 (pipeline) and issue 4 (environments) add their stacks here.
    del names, PIPELINE
    return stacks
