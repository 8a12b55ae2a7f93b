"""The compliance gate, adoptable by any CDK app (Python): `apply_gate(app, suffix=..., region=...)`
right after `app = cdk.App()`, and `acknowledge(...)` for a reasoned, owned, expiring exception.

One package name in an installed environment: its enforcement points are `compliance_gate.aspects`
(the Aspect, the validation plugin, the reports) and its rules `compliance_gate.policies`; the
checkout keeps them in the top-level `aspects/` and `policies/` folders, which this package spans.
"""

from pathlib import Path

_HERE = Path(__file__).resolve().parent
if not (_HERE / "aspects").is_dir():  # a checkout: the folders sit beside this one
    __path__.append(str(_HERE.parent))

from compliance_gate.aspects import (  # noqa: E402
    GATE_CONTEXT,
    AcknowledgementError,
    GateRun,
    acknowledge,
    apply_gate,
    synth,
)

__all__ = ["GATE_CONTEXT", "AcknowledgementError", "GateRun", "acknowledge", "apply_gate", "synth"]
