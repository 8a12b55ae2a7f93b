"""The AfterAllowTestTraffic hook: its construct and, in runtime/, its Lambda handler."""

from stacks.environment.smoke_test.infrastructure import SmokeTestHook

__all__ = ["SmokeTestHook"]
