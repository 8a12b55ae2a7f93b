"""The deploy-time guard: a CloudFormation Lambda hook on STACK operations that runs the rule catalog over
the template CloudFormation is about to deploy (compliance_gate.policies.stack_hook).

The request and response are those of the CloudFormation Hooks User Guide ("Create Lambda functions to
evaluate resources for Lambda Hooks"): the templates arrive at an S3 presigned URL in
`requestData.payload`, as `{"template": ..., "previousTemplate": ...}` strings. Whatever the function
cannot read or judge fails the operation (InternalFailure) with a message saying what; it never raises.
How a failure acts is the hook's FailureMode: FAIL refuses the operation, WARN lets it go on and shows
the message (the `warn` setting of cicd:deployTimeGuard).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from typing import Any

from compliance_gate.policies.catalog import RULES_BY_ID
from compliance_gate.policies.evaluation import Result
from compliance_gate.policies.stack_hook import Register, RegisterError, Target, TemplateError, Verdict, judge

MESSAGE_LIMIT = 4096
"""CloudFormation truncates a hook's message to 4096 characters when it evaluates its operations."""
PAYLOAD_LIMIT = 8 * 1024 * 1024
"""Two templates of CloudFormation's 1 MB maximum with room to spare: anything larger is not a payload."""
FETCH_TIMEOUT = 10
_STACK_ID = re.compile(r"^arn:aws[a-z-]*:cloudformation:([a-z0-9-]+):(\d{12}):stack/([^/]+)/")


class Refusal(Exception):
    """The request cannot be judged: the operation fails with this message."""


def handler(event: Any, _context: Any = None) -> dict[str, Any]:
    token = event.get("clientRequestToken") if isinstance(event, dict) else None
    try:
        return _judged(event, token)
    except Refusal as refusal:
        return _failed(token, "InternalFailure", f"compliance guard could not judge this operation: {refusal}")
    except Exception as error:  # fail closed, never crash: CloudFormation shows the message
        return _failed(token, "InternalFailure", f"compliance guard failed: {type(error).__name__}: {error}")


def _judged(event: Any, token: Any) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise Refusal(f"expected a hook request (a JSON object), got {type(event).__name__}")
    if not isinstance(token, str) or not token:
        raise Refusal("the request has no clientRequestToken")
    request = event.get("requestData")
    if not isinstance(request, dict) or request.get("targetType") != "STACK":
        raise Refusal("expected requestData for a STACK target (this hook's TargetOperations is STACK)")
    point = event.get("actionInvocationPoint")
    if point == "DELETE_PRE_PROVISION":
        return _succeeded(token, "deleting a stack removes what it deployed: nothing to judge", [])
    if point not in ("CREATE_PRE_PROVISION", "UPDATE_PRE_PROVISION"):
        raise Refusal(f"actionInvocationPoint {point!r} is not CREATE_PRE_PROVISION or UPDATE_PRE_PROVISION")
    target = _target(event, request)
    templates = _payload(request.get("payload"))
    template, previous = templates.get("template"), templates.get("previousTemplate")
    if not isinstance(template, str) or not template.strip():
        raise Refusal("the payload holds no template")
    settings = _settings()
    try:
        verdict = judge(template, previous if isinstance(previous, str) else None, target, **settings)
    except TemplateError as error:
        raise Refusal(str(error)) from None
    _log(target, verdict)
    annotations = _annotations(verdict)
    if verdict.compliant:
        return _succeeded(token, _summary(target, verdict), annotations)
    return {**_failed(token, "NonCompliant", _summary(target, verdict)), "annotations": annotations}


def _target(event: dict[str, Any], request: dict[str, Any]) -> Target:
    stack_id = event.get("stackId") or event.get("stackID")
    match = _STACK_ID.match(stack_id) if isinstance(stack_id, str) else None
    if match is None:
        raise Refusal(f"stackId {stack_id!r} is not a CloudFormation stack ARN")
    region, account, name = match.groups()
    if request.get("targetLogicalId") not in (None, name):
        raise Refusal(f"targetLogicalId {request.get('targetLogicalId')!r} is not the stack of stackId ({name})")
    if event.get("awsAccountId") not in (None, account):
        raise Refusal(f"awsAccountId {event.get('awsAccountId')!r} is not the account of stackId ({account})")
    return Target(name=name, account=account, region=region)


def _payload(url: Any) -> dict[str, Any]:
    """The templates at the presigned URL CloudFormation gives (only http(s): never a local file)."""
    if not isinstance(url, str) or not re.match(r"^https?://", url):
        raise Refusal(f"requestData.payload {str(url)[:80]!r} is not an http(s) URL")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:  # the scheme is checked above
            body = response.read(PAYLOAD_LIMIT + 1)
    except urllib.error.HTTPError as error:
        raise Refusal(
            f"the payload URL answered HTTP {error.code} {error.reason} (expired or not presigned?)"
        ) from None
    except (urllib.error.URLError, OSError) as error:
        raise Refusal(f"the payload URL could not be read ({error})") from None
    if len(body) > PAYLOAD_LIMIT:
        raise Refusal(f"the payload is larger than {PAYLOAD_LIMIT} bytes")
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise Refusal(f"the payload is not JSON ({error})") from None
    if not isinstance(payload, dict):
        raise Refusal("the payload is not a JSON object with template and previousTemplate")
    return payload


def _settings() -> dict[str, Any]:
    """What the guard judges with, from its function's environment (set by its stack)."""
    try:
        register = Register.from_json(os.environ.get("ACKNOWLEDGEMENTS", "[]"))
    except RegisterError as error:
        raise Refusal(str(error)) from None
    missing = [key for key in ("SUFFIX", "APPROVED_REGION") if not os.environ.get(key)]
    if missing:
        raise Refusal(f"the function's environment lacks {', '.join(missing)}")
    return {"suffix": os.environ["SUFFIX"], "approved_region": os.environ["APPROVED_REGION"], "register": register}


def _line(result: Result) -> str:
    rule = RULES_BY_ID[result.rule_id]
    problems = "; ".join(result.messages)
    return f"{result.rule_id} {result.logical_id} ({result.resource_type}): {problems} Fix: {rule.fix}"


def _summary(target: Target, verdict: Verdict) -> str:
    if verdict.compliant:
        head = f"stack {target.name} complies with the compliance gate's rules"
    else:
        head = f"stack {target.name}: {len(verdict.brought)} violation(s) of the compliance gate's rules"
    lines = [head, *(_line(result) for result in verdict.brought)]
    if verdict.carried:
        lines.append(f"{len(verdict.carried)} violation(s) the deployed template already has (not refused):")
        lines += [_line(result) for result in verdict.carried]
    if verdict.acknowledged:
        lines.append(f"{len(verdict.acknowledged)} finding(s) accepted by the guard's register")
    message = "\n".join(lines)
    if len(message) <= MESSAGE_LIMIT:
        return message
    cut = message[: MESSAGE_LIMIT - 80].rsplit("\n", 1)[0]
    return f"{cut}\n... (more in the annotations and the function's log)"


def _annotations(verdict: Verdict) -> list[dict[str, str]]:
    """One per finding; the rules' severities are the hook's own levels (CRITICAL, HIGH, MEDIUM, LOW)."""
    notes = [("FAILED", result, "; ".join(result.messages)) for result in verdict.brought]
    notes += [("FAILED", r, "already deployed (not refused): " + "; ".join(r.messages)) for r in verdict.carried]
    notes += [
        ("SKIPPED", r, f"accepted until {r.expires or 'no expiry'} ({r.owner}): {r.reason}")
        for r in verdict.acknowledged
    ]
    return [
        {
            "annotationName": f"{result.rule_id}-{result.logical_id}"[:256],
            "status": status,
            "statusMessage": note[:1024],
            "remediationMessage": RULES_BY_ID[result.rule_id].fix[:1024],
            "severityLevel": RULES_BY_ID[result.rule_id].severity,
        }
        for status, result, note in notes
    ]


def _log(target: Target, verdict: Verdict) -> None:
    """One JSON line per judgement in the function's log, for reviewers."""
    entries = {"brought": verdict.brought, "carried": verdict.carried, "acknowledged": verdict.acknowledged}
    print(
        json.dumps(
            {
                "stack": target.name,
                "account": target.account,
                "region": target.region,
                **{
                    kind: [[r.rule_id, r.logical_id, r.resource_type, *r.messages] for r in results]
                    for kind, results in entries.items()
                },
            }
        )
    )


def _succeeded(token: str, message: str, annotations: list[dict[str, str]]) -> dict[str, Any]:
    response: dict[str, Any] = {"hookStatus": "SUCCESS", "message": message, "clientRequestToken": token}
    return {**response, "annotations": annotations} if annotations else response


def _failed(token: Any, code: str, message: str) -> dict[str, Any]:
    return {
        "hookStatus": "FAILED",
        "errorCode": code,
        "message": message[:MESSAGE_LIMIT],
        "clientRequestToken": token if isinstance(token, str) else "",
    }
