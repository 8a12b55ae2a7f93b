"""How a program under the gate ends when the gate refuses: its report and exit status 1, or one line
and exit status 2 for a bad acknowledgement or gate setting, never a traceback, whoever calls
`app.synth()`."""

from __future__ import annotations

import sys
from typing import Any, Protocol

from compliance_gate.policies.acknowledgement_records import AcknowledgementError
from compliance_gate.policies.model import GateSettingsError

GATE_FAILED = "ValidationFailed"
"""Text of the error app.synth() raises when a validation plugin or an error annotation fails."""


class _Run(Protocol):
    def failure_summary(self) -> str: ...


RUNS: list[_Run] = []
"""The gates applied in this process, whose summaries end a refusal."""


def is_refusal(error: BaseException) -> bool:
    """Whether `app.synth()` failed on a validation (the gate's, cdk-nag's, an error annotation)."""
    return isinstance(error, RuntimeError) and GATE_FAILED in str(error)


def print_report(error: BaseException) -> None:
    """The validation report a refusal carries, unless CDK printed it already."""
    report = str(error).removeprefix(f"{GATE_FAILED}: ")
    if not report.startswith("Validation failed."):
        print(report, file=sys.stderr)


def install_exit_hook() -> None:
    """Handle the gate's refusal and bad acknowledgements in `sys.excepthook`; anything else goes to
    the hook that was there."""
    if getattr(sys.excepthook, "compliance_gate", False):
        return
    previous = sys.excepthook

    def hook(kind: type[BaseException], error: BaseException, trace: Any) -> None:
        if isinstance(error, AcknowledgementError | GateSettingsError):
            print(f"error: {error}", file=sys.stderr)
            sys.exit(2)
        if is_refusal(error):
            print_report(error)
            for run in RUNS:
                print(f"error: {run.failure_summary()}", file=sys.stderr)
            sys.exit(1)
        previous(kind, error, trace)

    hook.compliance_gate = True  # type: ignore[attr-defined]
    sys.excepthook = hook
