"""The environment stacks of a synthesized system (tests.support): their templates, IAM and scanner exceptions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from stacks.config import AppConfig, load_config
from stacks.environment_stack import EnvironmentStack
from stacks.naming import Names
from stacks.service_stack import ServiceStack
from tests.support import Synthesized, synthesize_system
from tests.toolkit.templates import merged, named, of_type

NAG_PLUGIN = re.compile(r"awssolutions|cdk-nag", re.IGNORECASE)
NAG_RULE = re.compile(r"^AwsSolutions-[A-Za-z]+\d+(\[.+\])?$")
"""One cdk-nag rule, or one finding of it: what a single acknowledgement may name."""
ANNOTATION_NAMESPACE = re.compile(r"^annotation::", re.IGNORECASE)
"""CDK records an acknowledgement without a plugin namespace as `Annotation::<id>`; cdk-nag strips it."""


@dataclass
class Environments:
    system: Synthesized
    config: AppConfig
    names: Names
    stacks: dict[str, EnvironmentStack]
    """Each environment's shared stack (network, cluster, access logs, monitoring)."""
    services: dict[str, list[ServiceStack]]
    """Each environment's service stacks, one per application."""
    templates: dict[str, dict[str, Any]]
    """Each environment's templates read as one (tests.support.merged): its shared and service stacks."""

    @classmethod
    def of(cls, system: Synthesized) -> Environments:
        """The environment and service stacks among everything `system` synthesized, by environment name."""
        config = load_config(system.app.node)
        names = Names(config.suffix)
        by_name = {stack.stack_name: stack for stack in system.stacks}
        stacks = {env.name: by_name[names.stack("cicd", env.name)] for env in config.environments}
        services = {
            env.name: [by_name[names.application_stack(app.name, env.name)] for app in config.applications]
            for env in config.environments
        }
        templates = {
            env: merged({stack.stack_name: system.raw(stack.stack_name) for stack in [shared, *services[env]]})
            for env, shared in stacks.items()
        }
        return cls(system=system, config=config, names=names, stacks=stacks, services=services, templates=templates)

    def all_stacks(self, env: str) -> list[cdk.Stack]:
        return [self.stacks[env], *self.services[env]]

    def referenced(self, env: str, value: dict[str, Any]) -> str:
        """The logical ID a `Ref` names, or the one behind the shared stack's output a service stack
        reads with `Fn::GetStackOutput`."""
        if "Ref" in value:
            return value["Ref"]
        reference = value["Fn::GetStackOutput"]
        assert reference["StackName"] == self.stacks[env].stack_name, reference
        return self.templates[env]["Outputs"][reference["OutputName"]]["Value"]["Ref"]

    def template(self, env: str) -> Template:
        return Template.from_json(self.templates[env])

    def resources(self, env: str, cfn_type: str) -> dict[str, dict[str, Any]]:
        return of_type(self.templates[env], cfn_type)

    def role(self, env: str, role_name: str) -> dict[str, Any]:
        return named(self.templates[env], "AWS::IAM::Role", "RoleName", role_name)[1]["Properties"]

    # --- third-party scanners ----------------------------------------------------------------

    def nag_violations(self) -> list[tuple[str, str]]:
        """(rule, construct path) of every cdk-nag finding the validation report lists in an environment stack."""
        prefixes = tuple(f"{stack.stack_name}/" for env in self.stacks for stack in self.all_stacks(env))
        return [
            (violation["ruleName"], construct["constructPath"])
            for report in self.system.validation_report["pluginReports"]
            if NAG_PLUGIN.search(report["pluginName"])
            for violation in report["violations"]
            for construct in violation["violatingConstructs"]
            if construct["constructPath"].startswith(prefixes)
        ]

    def nag_acknowledgements(self, env: str) -> list[tuple[str, str, str]]:
        """(path below the stack, "" for the stack itself; rule; reason) of every cdk-nag acknowledgement
        in the environment's stacks."""
        return [
            (construct.node.path[len(stack.node.path) + 1 :], rule, reason)
            for stack in self.all_stacks(env)
            for construct in stack.node.find_all()
            for entry in construct.node.metadata
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
            for qualified, reason in entry.data.items()
            for rule in [ANNOTATION_NAMESPACE.sub("", qualified)]
            if rule.startswith("AwsSolutions")
        ]

    def checkov_skips(self, env: str) -> list[tuple[str, str, str]]:
        """(construct path below the stack, check, comment) of every checkov skip of a built-in check."""
        return [
            (metadata["aws:cdk:path"].split("/", 1)[1], skip["id"], skip.get("comment", ""))
            for resource in self.templates[env]["Resources"].values()
            for metadata in [resource.get("Metadata", {})]
            for skip in metadata.get("checkov", {}).get("skip", [])
            if skip["id"].startswith("CKV_")
        ]


def synthesize_environments(outdir: Path, **overrides: Any) -> Environments:
    """One synthesis of the system (as app.py builds it) with cdk.json's context plus `overrides`."""
    return Environments.of(synthesize_system(outdir, **overrides))
