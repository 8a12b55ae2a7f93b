"""Composes the whole system: which stacks exist, in which account, in which order."""

from __future__ import annotations

import aws_cdk as cdk

from stacks.config import AppConfig
from stacks.environment_stack import EnvironmentStack
from stacks.foundation_stack import FoundationStack
from stacks.monitoring_stack import MonitoringStack
from stacks.naming import Names
from stacks.pipeline_stack import PipelineStack


def build_system(app: cdk.App, config: AppConfig) -> list[cdk.Stack]:
    """Add every stack of the system to `app`; returns them in deploy order.

    The monitoring stack deploys first (its event bus receives the environments' deployment events),
    then the foundation stack (its bootstrap fills the tools repository), then the environment stacks
    (each in its own account; their services start on the tools repository's placeholder), then the
    pipeline stack, whose pipelines start once on creation and deploy to every environment. They refer
    to each other by name only, so the order is declared, not derived.
    """
    names = Names(config.suffix)
    foundation = FoundationStack(app, config=config, names=names)
    environments = [EnvironmentStack(app, config=config, environment=env, names=names) for env in config.environments]
    pipeline = PipelineStack(app, config=config, names=names)
    monitoring = MonitoringStack(app, config=config, names=names, pipelines=pipeline.pipelines)
    foundation.add_stack_dependency(monitoring, "the image bootstrap's build is watched from the first deploy")
    pipeline.add_stack_dependency(foundation, "the projects run on the tools repository's build image and cache")
    for environment in environments:
        environment.add_stack_dependency(monitoring, "its deployment events go to the monitoring stack's event bus")
        environment.add_stack_dependency(foundation, "its services start on the tools repository's placeholder")
        pipeline.add_stack_dependency(environment, "the pipelines deploy to every environment when created")
    return [monitoring, foundation, *environments, pipeline]
