"""The base of every stack of the system: its construct ID is its CloudFormation name."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from stacks.config import AppConfig
from stacks.naming import Names


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
