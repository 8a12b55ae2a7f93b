"""What monitoring watches, by physical name: one application's pipeline, projects and deployment
groups (its own alarms and dashboard), and the name endings every application's share (the pipeline
account's rules, event log and overview, which never list the applications)."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from constructs import IConstruct

from stacks.config import AppConfig
from stacks.naming import PIPELINE, Names
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
    """One application: its pipeline and its deployment group in each environment."""

    pipeline: WatchedPipeline
    deployments: tuple[WatchedDeployment, ...]

    @classmethod
    def of(cls, config: AppConfig, names: Names, pipeline: ApplicationPipeline) -> Watched:
        app = pipeline.application.name
        return cls(
            pipeline=WatchedPipeline(
                app=app,
                pipeline_name=physical_name(pipeline.pipeline),
                project_names=tuple(physical_name(project) for project in pipeline.projects),
            ),
            deployments=tuple(
                WatchedDeployment(app, env.name, names.deployment_group(app, env.name)) for env in config.environments
            ),
        )


@dataclass(frozen=True)
class Endings:
    """Suffix matchers (EventBridge's `{"suffix": ...}`) for every application's resources of a kind."""

    names: Names
    environments: tuple[str, ...]

    def pipelines(self) -> list[dict[str, str]]:
        return [{"suffix": self.names.ending("pipeline", PIPELINE)}]

    def projects(self) -> list[dict[str, str]]:
        kinds = [("build", PIPELINE), ("test", PIPELINE), *(("deploy", env) for env in self.environments)]
        return [{"suffix": self.names.ending(kind, env)} for kind, env in kinds]

    def deployment_groups(self, environments: tuple[str, ...] | None = None) -> list[dict[str, str]]:
        return [{"suffix": self.names.ending("deployment-group", env)} for env in environments or self.environments]


def physical_name(resource: IConstruct) -> str:
    """The literal name given to `resource`'s CloudFormation resource.

    The L2 attributes (`pipeline_name`, `project_name`) are references: used from another stack they
    would export and import values, tying one stack's deployment to another's.
    """
    name = getattr(resource.node.default_child, "name", None)
    if not isinstance(name, str) or cdk.Token.is_unresolved(name):
        raise ValueError(f"{resource.node.path} has no literal name to monitor it by")
    return name
