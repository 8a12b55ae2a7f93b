"""Composes the whole system: which stacks exist, in which account, in which order."""

from __future__ import annotations

import aws_cdk as cdk

from stacks.config import AppConfig
from stacks.environment_stack import EnvironmentStack
from stacks.monitoring_stack import MonitoringStack
from stacks.naming import Names
from stacks.pipeline_stack import PipelineStack


def build_system(app: cdk.App, config: AppConfig) -> list[cdk.Stack]:
    """Add every stack of the system to `app`; returns them in deploy order.

    The monitoring stack deploys first (its event bus receives the environments' deployment events),
    then the environment stacks (each in its own account), then the pipeline stack. They refer to
    each other by name only, so the order is declared, not derived.
    """
    names = Names(config.suffix)
    environments = [EnvironmentStack(app, config=config, environment=env, names=names) for env in config.environments]
    pipeline = PipelineStack(app, config=config, names=names)
    monitoring = MonitoringStack(app, config=config, names=names, pipelines=pipeline.pipelines)
    for environment in environments:
        environment.add_stack_dependency(monitoring, "its deployment events go to the monitoring stack's event bus")
        pipeline.add_stack_dependency(environment, "the deploy projects assume the environments' deploy roles")
    return [monitoring, *environments, pipeline]
