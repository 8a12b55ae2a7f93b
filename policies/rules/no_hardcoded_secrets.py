"""CMP008: no secret values written into templates."""

from __future__ import annotations

import re
from functools import cache

from compliance_gate.policies.cfn_values import as_list, is_literal, located_strings, strings, text
from compliance_gate.policies.deploy_time import is_unknown
from compliance_gate.policies.model import STACK_TYPE, Resource, Rule, StackContext
from compliance_gate.policies.secret_patterns import detectors, may_hold_secret

CREDENTIAL_NAME = re.compile(r"pass(word|wd)?|secret|token|api_?key|access_?key|private_?key|credential", re.I)
REFERENCE_NAME = re.compile(
    r"(_|^)(arn|id|name|path|url|uri|region|helper|program|provider|type|mode|file|store|source|method|length|"
    r"version|enabled|rotation|policy|kind|expiry|expiration)$",
    re.I,
)
"""A variable named like a credential but naming a reference or a mechanism (SECRET_ARN,
DOCKER_CREDENTIAL_HELPER) holds no secret."""
MIN_SECRET_LENGTH = 8
"""Shorter than any credential format the detectors know (the shortest, a URL with a user and a
password, `s://u:p@h`, has 9 characters)."""


@cache
def detected(value: str) -> list[str]:
    """The kinds of credential detect-secrets recognises in a string, line by line (every string is
    judged by the Aspect and again by the plugin: remembered). A string none of the detectors'
    patterns matches is cleared without loading detect-secrets (policies.secret_patterns)."""
    if len(value) < MIN_SECRET_LENGTH or not may_hold_secret(value):
        return []
    lines = value.splitlines() or [value]
    return [
        detector.secret_type for detector in detectors() if any(any(detector.analyze_string(line)) for line in lines)
    ]


def _named_like_a_credential(name: str) -> bool:
    return bool(CREDENTIAL_NAME.search(name)) and not REFERENCE_NAME.search(name)


def _variable_problems(location: str, name: str, value: object) -> list[str]:
    if is_unknown(value):
        return []  # given at deploy time: not written in the template
    literal = text(value) if is_literal(value) else None
    if not literal:
        return []
    if detected(literal):
        return []  # reported by the scan of every string
    if _named_like_a_credential(name):
        return [f"{location} ({name}) is a plaintext variable named like a credential"]
    return []


def _name_value_pairs(resource: Resource):
    props = resource.properties
    if resource.type == "AWS::CodeBuild::Project":
        for i, var in enumerate(as_list((props.get("Environment") or {}).get("EnvironmentVariables"))):
            if isinstance(var, dict) and var.get("Type", "PLAINTEXT") == "PLAINTEXT":
                yield f"Environment.EnvironmentVariables[{i}]", str(var.get("Name")), var.get("Value")
    elif resource.type == "AWS::ECS::TaskDefinition":
        for c, container in enumerate(as_list(props.get("ContainerDefinitions"))):
            for i, var in enumerate(as_list((container or {}).get("Environment"))):
                if isinstance(var, dict):
                    yield f"ContainerDefinitions[{c}].Environment[{i}]", str(var.get("Name")), var.get("Value")
    elif resource.type == "AWS::Lambda::Function":
        variables = (props.get("Environment") or {}).get("Variables") or {}
        for name, value in variables.items():
            yield f"Environment.Variables.{name}", name, value


def _strings(resource: Resource) -> list[str]:
    """Every string the resource writes into the template that detect-secrets recognises as a credential."""
    written = sorted(item for item in strings(dict(resource.properties)) if not is_unknown(item))
    if not detected("\n".join(written)):
        return []  # nothing anywhere in it (sorted: the same text whichever enforcement point asks, remembered)
    problems = [
        f"{location} holds what detect-secrets recognises as a {kind}"
        for location, item in located_strings(dict(resource.properties))
        if not is_unknown(item)
        for kind in detected(item)
    ]
    return list(dict.fromkeys(problems))


def _parameters(stack: StackContext) -> list[str]:
    """Defaults of the stack's parameters: written in the template whatever NoEcho hides from describe calls."""
    problems = []
    for name, parameter in stack.parameters.items():
        default = parameter.get("Default")
        if not isinstance(default, str) or not default:
            continue
        if kinds := detected(default):
            problems.append(f"parameter {name} has a default detect-secrets recognises as a {kinds[0]}")
        elif parameter.get("NoEcho") in (True, "true") or _named_like_a_credential(name):
            problems.append(
                f"parameter {name} is a secret (NoEcho or named like one) with a default written in the template"
            )
    return problems


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.type == STACK_TYPE:
        return _parameters(stack) if resource.logical_id == stack.name else []
    problems = _strings(resource)
    if resource.type == "AWS::SecretsManager::Secret":
        value = resource.properties.get("SecretString")
        written = value is not None and not is_unknown(value) and is_literal(value)
        problems += ["SecretString is a literal value"] if written else []
    for location, value in _written_credentials(resource):
        if value is not None and not is_unknown(value) and is_literal(value):
            problems.append(f"{location} is a literal value")
    return problems + [problem for args in _name_value_pairs(resource) for problem in _variable_problems(*args)]


def _written_credentials(resource: Resource) -> list[tuple[str, object]]:
    """Properties that are a credential by definition: a user's password, a source credential's token."""
    properties = resource.properties
    if resource.type == "AWS::IAM::User":
        return [("LoginProfile.Password", (properties.get("LoginProfile") or {}).get("Password"))]
    if resource.type == "AWS::CodeBuild::SourceCredential":
        return [("Token", properties.get("Token"))]
    return []


RULE = Rule(
    id="CMP008",
    title="No hardcoded secrets",
    severity="CRITICAL",
    rationale=(
        "Templates are stored in cdk.out, in the CDK bootstrap bucket and in CloudFormation, "
        "readable by anyone who can describe the stack: a secret written there is disclosed."
    ),
    fix=(
        "Keep the value in Secrets Manager (generate_secret_string for the initial value) and pass it "
        "as a SECRETS_MANAGER build variable, ecs.Secret or a runtime lookup, never as plaintext."
    ),
    check=check,
)
