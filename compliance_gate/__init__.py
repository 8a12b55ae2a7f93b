"""The compliance gate, adoptable by any CDK app (Python): `apply_gate(app, suffix=..., region=...)`
right after `app = cdk.App()`, and `acknowledge(...)` for a reasoned, owned, expiring exception.

One package name in an installed environment: its enforcement points are `compliance_gate.aspects`
(the rules' Aspects, the validation plugin, the reports) and its rules `compliance_gate.policies`; the
checkout keeps them in the top-level `aspects/` and `policies/` folders, which this package spans.
"""

from pathlib import Path

_HERE = Path(__file__).resolve().parent
if not (_HERE / "aspects").is_dir():  # a checkout: the folders sit beside this one
    __path__.append(str(_HERE.parent))

__all__ = [
    "GATE_CONTEXT",
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


def __getattr__(name: str) -> object:
    """The API, imported when first used: `python -m compliance_gate` (the runner) loads no CDK itself."""
    if name in __all__:
        from compliance_gate import aspects

        return getattr(aspects, name)
    raise AttributeError(f"module 'compliance_gate' has no attribute {name!r}")
