"""What the constructs of an environment stack are built for, handed on as one value."""

from __future__ import annotations

from dataclasses import dataclass

from stacks.config import AppConfig, Environment
from stacks.naming import Names


@dataclass(frozen=True)
class EnvironmentPart:
    """The system's configuration, the environment a construct belongs to, and the names it uses."""

    config: AppConfig
    environment: Environment
    names: Names
