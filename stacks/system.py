"""Composes the whole system: which stacks exist, in which account, in which order."""

from __future__ import annotations

import aws_cdk as cdk

from stacks.config import AppConfig
from stacks.environment_stack import EnvironmentStack
from stacks.foundation_stack import FoundationStack
from stacks.guard_stack import GuardStack
from stacks.monitoring_stack import MonitoringStack
from stacks.naming import Names
from stacks.pipeline_stack import PipelineStack
from stacks.service_stack import ServiceStack


def build_system(app: cdk.App, config: AppConfig) -> list[cdk.Stack]:
    """Add every stack of the system to `app`; returns them in deploy order.

    Shared: the monitoring stack deploys first (its event bus receives the environments' deployment
    events), then the foundation stack (its bootstrap fills the tools repository), then each
    environment's stack (network, cluster). Per application: a service stack in each environment
    (its service starts on the tools repository's placeholder), then its pipeline stack, whose
    pipeline starts once on creation and deploys to every environment. They refer to each other by
    name (the service stacks to their environment's network and cluster by reference), so the
    order is declared, not derived; no shared stack lists the applications. First of all, in each
    account, its deploy-time guard: the hook then judges every stack deployed after it.
    """
    names = Names(config.suffix)
    monitoring = MonitoringStack(app, config=config, names=names)
    foundation = FoundationStack(app, config=config, names=names)
    foundation.add_stack_dependency(monitoring, "the image bootstrap's build is watched from the first deploy")
    environments = [EnvironmentStack(app, config=config, environment=env, names=names) for env in config.environments]
    for environment in environments:
        environment.add_stack_dependency(monitoring, "its deployment events go to the monitoring stack's event bus")
    stacks: list[cdk.Stack] = [monitoring, foundation, *environments]
    for application in config.applications:
        services = [ServiceStack(app, application=application, shared=environment) for environment in environments]
        pipeline = PipelineStack(app, application=application, config=config, names=names)
        pipeline.add_stack_dependency(foundation, "the projects run on the tools repository's build image and cache")
        pipeline.add_stack_dependency(monitoring, "its alarms publish to the monitoring stack's alerts topic")
        for service, environment in zip(services, environments, strict=True):
            service.add_stack_dependency(environment, "its service runs on the environment's network and cluster")
            service.add_stack_dependency(foundation, "its service starts on the tools repository's placeholder")
            pipeline.add_stack_dependency(service, "the pipeline deploys to every environment when created")
        stacks += [*services, pipeline]
    guards = {
        account: GuardStack(app, account=account, label=label, config=config, names=names)
        for account, label in config.accounts.items()
    }
    for stack in stacks:
        stack.add_stack_dependency(guards[stack.account], "the deploy-time guard judges every later stack operation")
    return [*guards.values(), *stacks]
