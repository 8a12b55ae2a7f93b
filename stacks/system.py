"""Composes the whole system: which stacks exist, in which account, in which order."""

from __future__ import annotations

import aws_cdk as cdk

from stacks.config import AppConfig
from stacks.environment_stack import EnvironmentStack
from stacks.naming import Names
from stacks.pipeline_stack import PipelineStack


def build_system(app: cdk.App, config: AppConfig) -> list[cdk.Stack]:
    """Add every stack of the system to `app`; returns them in deploy order.

    The environment stacks deploy first (each in its own account); the pipeline stack, in the
    pipeline account, only refers to them by name, so the order is declared, not derived.
    """
    names = Names(config.suffix)
    environments = [EnvironmentStack(app, config=config, environment=env, names=names) for env in config.environments]
    pipeline = PipelineStack(app, config=config, names=names)
    for environment in environments:
        pipeline.add_stack_dependency(environment, "the deploy projects assume the environments' deploy roles")
    return [*environments, pipeline]
