"""The compliance gate's enforcement at synth: the rules' Aspects and a validation plugin that run the
rule catalog (compliance_gate.policies), the reports, and `acknowledge()`.

Adopt it in any CDK app right after `app = cdk.App()`: `apply_gate(app, suffix=..., region=...)`;
accept an exception with `acknowledge(scope, rule_id, reason, owner=..., expires=...)`.
"""

from compliance_gate.aspects.acknowledging import acknowledge
from compliance_gate.aspects.exit_hook import GATE_FAILED
from compliance_gate.aspects.gate import GATE_CONTEXT, GateRun, apply_gate, synth
from compliance_gate.aspects.rule_aspects import (
    RULE_ASPECTS,
    ApprovedRegionOnly,
    CatalogAspect,
    DenyTerminateInstances,
    DestroyRemovalPolicies,
    EnvironmentSuffixNaming,
    NoHardcodedSecrets,
    NoncurrentExpiry90Days,
    ReadableDeployments,
    RuleAspect,
    SmallBuildCompute,
    SseS3Only,
    rule_aspect,
)
from compliance_gate.policies.acknowledgement_records import AcknowledgementError

__all__ = [
    "GATE_CONTEXT",
    "GATE_FAILED",
    "RULE_ASPECTS",
    "AcknowledgementError",
    "ApprovedRegionOnly",
    "CatalogAspect",
    "DenyTerminateInstances",
    "DestroyRemovalPolicies",
    "EnvironmentSuffixNaming",
    "GateRun",
    "NoHardcodedSecrets",
    "NoncurrentExpiry90Days",
    "ReadableDeployments",
    "RuleAspect",
    "SmallBuildCompute",
    "SseS3Only",
    "acknowledge",
    "apply_gate",
    "rule_aspect",
    "synth",
]
