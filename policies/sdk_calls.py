"""The AWS API calls a custom resource makes while CloudFormation deploys it (CDK's AwsCustomResource:
`Create`, `Update` and `Delete` properties, each a JSON string of service, action and parameters).

A call that holds references is a `Fn::Join` of JSON pieces and intrinsics: it is read with the
references as `${LogicalId}` / `${LogicalId.Attribute}` placeholders, which rules resolve against the
stack's resources where they can. A call the gate cannot read at all is returned as unreadable, so a
rule that must judge it refuses it instead of passing it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compliance_gate.policies.cfn_values import text
from compliance_gate.policies.deploy_time import is_unknown
from compliance_gate.policies.model import is_custom_resource

PHASES = ("Create", "Update")
"""The calls that make or change something (Delete's undo what they did)."""


@dataclass(frozen=True)
class SdkCall:
    phase: str
    service: str = ""
    action: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    readable: bool = True
    region: str | None = None
    """The region the call is made in, where it names one (AwsCustomResource's `region`)."""

    @property
    def label(self) -> str:
        return f"the custom resource's {self.phase} call ({self.service} {self.action})"

    def is_service(self, *prefixes: str) -> bool:
        """Whether the call's service is one of these (the JS SDK's v2 or v3 name, any case)."""
        service = self.service.lower().removeprefix("@aws-sdk/client-").replace("-", "")
        return any(service == prefix.lower() for prefix in prefixes)


def sdk_calls(resource_type: str, properties: Mapping[str, Any]) -> list[SdkCall]:
    """The Create and Update calls of a custom resource; none for other types."""
    if not is_custom_resource(resource_type):
        return []
    found = []
    for phase in PHASES:
        value = properties.get(phase)
        if value is None or is_unknown(value):
            continue
        written = value if isinstance(value, dict) and "service" in value else text(value)
        try:
            call = json.loads(written) if isinstance(written, str) else written
        except ValueError:
            call = None
        if not isinstance(call, dict) or "action" not in call:
            if isinstance(written, str) and not written.lstrip().startswith("{"):
                continue  # not an SDK call: a custom resource's own property of that name
            found.append(SdkCall(phase, readable=False))
            continue
        parameters = call.get("parameters")
        found.append(
            SdkCall(
                phase,
                str(call.get("service", "")),
                str(call.get("action", "")),
                parameters if isinstance(parameters, dict) else {},
                region=call.get("region"),
            )
        )
    return found


def documents(resource_type: str, properties: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """What a resource writes, as (location prefix, mapping): its properties (less the SDK calls, read as
    calls) and each SDK call's parameters with the region it is made in, under `Create.` or `Update.`."""
    calls = sdk_calls(resource_type, properties)
    phases = {call.phase for call in calls if call.readable}
    found = [("", {key: value for key, value in properties.items() if key not in phases})]
    found += [
        (f"{call.phase}.", {**({"region": call.region} if call.region else {}), **call.parameters})
        for call in calls
        if call.readable
    ]
    return found
