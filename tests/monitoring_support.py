"""The monitoring of a synthesized system: its templates by account, and cdk.json's sample
application's names. Evaluating what the services would do is in tests/toolkit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stacks.config import AppConfig, load_config
from stacks.monitoring_stack import MonitoringStack
from stacks.naming import PIPELINE, Names
from tests.support import Synthesized
from tests.toolkit.references import ACCOUNT, REGION
from tests.toolkit.templates import merged, named, of_type

__all__ = ["ACCOUNT", "REGION"]
ENVIRONMENTS = ("dev", "staging", "prod")
PIPELINE_NAME = "sample-pipeline-pipeline-dev"
PROJECTS = [
    "sample-build-pipeline-dev",
    "sample-test-pipeline-dev",
    "sample-deploy-dev-dev",
    "sample-deploy-staging-dev",
    "sample-deploy-prod-dev",
]
"""cdk.json's sample application: its pipeline and its build, test and deploy projects."""
GROUPS = {env: f"sample-deployment-group-{env}-dev" for env in ENVIRONMENTS}


@dataclass
class System:
    """Every template of one synthesis, with the monitoring stack's at hand."""

    synthesized: Synthesized
    config: AppConfig
    names: Names
    templates: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, synthesized: Synthesized) -> System:
        config = load_config(synthesized.app.node)
        templates = {name: synthesized.raw(name) for name in synthesized.stack_names}
        return cls(synthesized, config, Names(config.suffix), templates)

    @property
    def monitoring_stack(self) -> MonitoringStack:
        (stack,) = [stack for stack in self.synthesized.stacks if isinstance(stack, MonitoringStack)]
        return stack

    @property
    def monitoring(self) -> dict[str, Any]:
        return self.templates[self.names.stack("cicd-monitoring", PIPELINE)]

    def environment(self, env: str) -> dict[str, Any]:
        """The environment's shared stack and its service stacks, read as one."""
        stacks = [self.names.stack("cicd", env)] + [
            self.names.application_stack(a.name, env) for a in self.config.applications
        ]
        return merged({name: self.templates[name] for name in stacks})

    @property
    def pipeline_account(self) -> dict[str, Any]:
        """The monitoring, foundation and pipeline stacks, read as one."""
        names = [self.names.stack("cicd-monitoring", PIPELINE), self.names.stack("cicd-foundation", PIPELINE)]
        names += [self.names.application_stack(a.name, PIPELINE) for a in self.config.applications]
        return merged({name: self.templates[name] for name in names})

    def resources(self, cfn_type: str, template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        """Resources of `cfn_type` in `template`, or in every template (keyed `stack/logical ID`)."""
        if template is not None:
            return of_type(template, cfn_type)
        return {
            f"{stack}/{key}": body for stack, t in self.templates.items() for key, body in of_type(t, cfn_type).items()
        }

    def named(self, template: dict[str, Any], cfn_type: str, prop: str, name: str) -> tuple[str, dict[str, Any]]:
        return named(template, cfn_type, prop, name)
