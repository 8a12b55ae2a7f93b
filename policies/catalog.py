"""The rule catalog: reading this list tells a reviewer everything the gate enforces."""

from __future__ import annotations

from compliance_gate.policies.model import Rule
from compliance_gate.policies.rules import (
    destroyable,
    naming,
    no_hardcoded_secrets,
    noncurrent_lifecycle,
    readable,
    region,
    small_compute,
    sse_s3,
    terminate_deny,
)

RULES: tuple[Rule, ...] = (
    destroyable.RULE,
    sse_s3.RULE,
    noncurrent_lifecycle.RULE,
    small_compute.RULE,
    naming.RULE,
    terminate_deny.RULE,
    region.RULE,
    no_hardcoded_secrets.RULE,
    readable.RULE,
)
RULES_BY_ID = {rule.id: rule for rule in RULES}
