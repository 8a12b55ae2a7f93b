"""The base of every stack of the system: its construct ID is its CloudFormation name."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from stacks.config import AppConfig, Application
from stacks.naming import PIPELINE, Names


class NamedStack(cdk.Stack):
    """A stack named `<kind>-<environment>-<suffix>` (the construct ID too), in one account of the
    configured region."""

    def __init__(
        self,
        scope: Construct,
        *,
        kind: str,
        environment: str,
        account: str,
        config: AppConfig,
        names: Names,
        description: str,
    ) -> None:
        stack_name = names.stack(kind, environment)
        super().__init__(
            scope,
            stack_name,
            stack_name=stack_name,
            env=cdk.Environment(account=account, region=config.region),
            description=description,
        )


class ApplicationStack(NamedStack):
    """One application's stack in one account, `cicd-<environment>-<app>-<suffix>`
    (`Names.application_stack`): its pipeline (`pipeline`) or its service in an environment."""

    def __init__(
        self, scope: Construct, *, application: Application, environment: str, config: AppConfig, description: str
    ) -> None:
        in_pipeline_account = environment == PIPELINE
        super().__init__(
            scope,
            kind=f"cicd-{environment}",
            environment=application.name,
            account=config.pipeline_account if in_pipeline_account else config.environment(environment).account,
            config=config,
            names=Names(config.suffix),
            description=description,
        )
        self.application = application
