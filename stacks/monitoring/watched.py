"""What the pipeline account's monitoring watches, by physical name: pipelines, their build projects,
and the deployment groups of every application in every environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aws_cdk as cdk
from constructs import IConstruct

from stacks.config import AppConfig
from stacks.naming import Names
from stacks.pipeline.application import ApplicationPipeline


@dataclass(frozen=True)
class WatchedPipeline:
    app: str
    pipeline_name: str
    project_names: tuple[str, ...]
    """Build, test, then one deploy project per environment."""


@dataclass(frozen=True)
class WatchedDeployment:
    app: str
    environment: str
    deployment_group: str


@dataclass(frozen=True)
class Watched:
    pipelines: tuple[WatchedPipeline, ...]
    deployments: tuple[WatchedDeployment, ...]

    @classmethod
    def of(cls, config: AppConfig, names: Names, pipelines: Mapping[str, ApplicationPipeline]) -> Watched:
        return cls(
            pipelines=tuple(
                WatchedPipeline(
                    app=app,
                    pipeline_name=physical_name(pipeline.pipeline),
                    project_names=tuple(physical_name(project) for project in pipeline.projects),
                )
                for app, pipeline in pipelines.items()
            ),
            deployments=tuple(
                WatchedDeployment(app.name, env.name, names.deployment_group(app.name, env.name))
                for app in config.applications
                for env in config.environments
            ),
        )

    @property
    def environments(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(deployment.environment for deployment in self.deployments))

    def deployments_to(self, environment: str) -> tuple[WatchedDeployment, ...]:
        return tuple(deployment for deployment in self.deployments if deployment.environment == environment)


def physical_name(resource: IConstruct) -> str:
    """The literal name given to `resource`'s CloudFormation resource.

    The L2 attributes (`pipeline_name`, `project_name`) are references: used from another stack they
    would export and import values, tying the monitoring stack's deployment to the pipeline stack's.
    """
    name = getattr(resource.node.default_child, "name", None)
    if not isinstance(name, str) or cdk.Token.is_unresolved(name):
        raise ValueError(f"{resource.node.path} has no literal name to monitor it by")
    return name
