"""The compliance gate: Aspects and a validation plugin that run the rule catalog (policies/)."""
