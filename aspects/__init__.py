"""The compliance gate: an Aspect and a validation plugin that run the rule catalog (policies/).

Adopt it in any CDK app: create the App with GATE_CONTEXT in its context, call
`run = apply_gate(app, suffix=...)`, then `sys.exit(synth(app, run))`; accept an exception with
`acknowledge(scope, rule_id, reason, expires=...)`.
"""

from compliance_gate.aspects.acknowledging import acknowledge
from compliance_gate.aspects.gate import GATE_CONTEXT, GATE_FAILED, GateRun, apply_gate, synth
from compliance_gate.policies.acknowledgement_records import AcknowledgementError

__all__ = [
    "GATE_CONTEXT",
    "GATE_FAILED",
    "AcknowledgementError",
    "GateRun",
    "acknowledge",
    "apply_gate",
    "synth",
]
