"""CMP008: no secret values written into templates.

Judged everywhere a template writes text: every resource's properties and every section of the template
(Parameters' defaults, Outputs, Mappings, Metadata, Conditions), documents embedded in strings (JSON
policies, a secret's SecretStringTemplate, a pipeline action's EnvironmentVariables, an inline
buildspec's YAML) and code or command lines (`password = '...'`, `docker login -p ...`). A value is a
secret when detect-secrets recognises a credential format in it, when the resource schemas define its
property as a write-only credential (MasterUserPassword, an EventBridge connection's ApiKeyValue), or
when its name says credential (`DB_PASSWORD`, `PWD`, `OAuthToken`, name/value pairs of any type) and the
value itself could be one: a header name, a duration, an endpoint URL, an ARN, a dynamic reference or a
variable is not.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise
from typing import Any

from compliance_gate.policies.cfn_values import is_literal, located_strings, strings, text
from compliance_gate.policies.deploy_time import is_unknown
from compliance_gate.policies.model import STACK_TYPE, Resource, Rule, StackContext
from compliance_gate.policies.named_values import PASSWORD_OPTION, named_values
from compliance_gate.policies.schema_facts import credential_paths, values_at
from compliance_gate.policies.secret_patterns import detectors, may_hold_secret

CREDENTIAL_WORDS = frozenset({"password", "passwd", "pwd", "pass", "passphrase", "secret", "token", "credential"})
CREDENTIAL_PAIRS = frozenset({("api", "key"), ("access", "key"), ("private", "key"), ("secret", "key")})
REFERENCE_WORDS = frozenset(
    {
        *("arn", "id", "name", "path", "url", "uri", "region", "helper", "program", "provider", "type", "mode"),
        *("file", "store", "source", "method", "length", "version", "enabled", "rotation", "policy", "kind"),
        *("expiry", "expiration", "validity", "units", "ttl", "header", "location", "param", "parameter"),
        *("required", "stdin", "env", "endpoint", "format", "count", "age", "duration", "lifetime", "template"),
    }
)
"""A name's last word that makes it name a reference or a mechanism (SECRET_ARN, TOKEN_VALIDITY_UNITS,
DOCKER_CREDENTIAL_HELPER) rather than hold a secret."""
REFERENCE_SECTIONS = re.compile(r"\.(secrets-manager|parameter-store)\.")
"""A buildspec's `env` sections whose values name a secret or a parameter (`secret-id:json-key`), not hold it."""
MIN_SECRET_LENGTH = 8
"""Shorter than any credential format the detectors know (the shortest, a URL with a user and a
password, `s://u:p@h`, has 9 characters)."""
MIN_NAMED_SECRET_LENGTH = 3
"""A value named like a credential, shorter than this, is a placeholder or a flag, not a secret."""
DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:[^}]*\}\}")
_NOT_A_SECRET = (
    DYNAMIC_REFERENCE,
    re.compile(r"arn:[a-z-]+:[a-z0-9-]*:.*"),  # an ARN (a Secrets Manager secret's among them)
    re.compile(r"https?://[^\s:@/]+(?::\d+)?(/\S*)?"),  # an endpoint URL without a user and password
    re.compile(r"P(?:\d+[YMWD])*(?:T(?:\d+[HMS])+)?|\d+(?:\.\d+)?\s*[a-zA-Z]{0,8}"),  # a duration or number
    re.compile(r"[Xx]-[A-Za-z0-9-]+|[A-Z][a-z]+(?:-[A-Z][a-z0-9]*)+|Authorization|Bearer"),  # a header name
    re.compile(r".*\$\{?[A-Za-z_][A-Za-z0-9_:.]*\}?.*|.*\$\(.*\).*|.*%[A-Za-z_]+%.*"),  # a variable
    re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]+"),  # an enumeration's value (ENABLED, PLAINTEXT)
    re.compile(r"true|false|none|null|yes|no|on|off|enabled|disabled", re.I),  # a flag
)


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


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", name))
    return [word.lower() for word in re.split(r"[^A-Za-z0-9]+", spaced) if word]


@cache
def named_like_a_credential(name: str) -> bool:
    """A name whose words say credential (`DB_PASSWORD`, `dbPwd`, `OAuthToken`, `api-key`) and whose last
    word does not make it a reference to one (`SECRET_ARN`, `passwordLength`)."""
    words = _words(name)
    if words[-1:] == ["key"]:  # a key is a credential only as an API, access, private or secret key
        return len(words) > 1 and (words[-2], "key") in CREDENTIAL_PAIRS
    if not words or words[-1] in REFERENCE_WORDS:
        return False
    return any(word in CREDENTIAL_WORDS or word.startswith("passw") for word in words) or any(
        pair in CREDENTIAL_PAIRS for pair in pairwise(words)
    )


def could_be_a_secret(value: object) -> bool:
    """Whether a literal value could be a secret: text of some length that is none of the shapes that name
    or point at one."""
    if is_unknown(value) or not is_literal(value) or isinstance(value, bool | dict | list):
        return False
    literal = (text(value) or "").strip()
    return len(literal) >= MIN_NAMED_SECRET_LENGTH and not any(shape.fullmatch(literal) for shape in _NOT_A_SECRET)


def _named_credentials(value: Any, path: str = "", reported: frozenset[str] = frozenset()) -> list[str]:
    """Values named like credentials that could be one (not those at `reported` locations)."""
    return [
        f"{location} ({name}) is a plaintext variable named like a credential"
        for location, name, item in named_values(value, path)
        if location not in reported
        and not REFERENCE_SECTIONS.search(location)
        and (name == PASSWORD_OPTION or named_like_a_credential(name))
        and could_be_a_secret(item)
        and not detected(str(item))
    ]


def _detected_strings(value: Any, path: str = "") -> list[str]:
    """Every string below `value` that detect-secrets recognises as a credential."""
    written = sorted(item for item in strings(value) if not is_unknown(item))
    if not detected("\n".join(written)):
        return []  # nothing anywhere in it (sorted: the same text whichever enforcement point asks, remembered)
    return [
        f"{location} holds what detect-secrets recognises as a {kind}"
        for location, item in located_strings(value, path)
        if not is_unknown(item)
        for kind in detected(item)
    ]


def _schema_credentials(resource: Resource) -> list[str]:
    """Locations of the properties the resource schemas define as write-only credentials (a secret's
    SecretString among them) where they are written as literals."""
    return [
        location
        for path in credential_paths(resource.type)
        for location, value in values_at(resource.properties, path)
        if value is not None
        and not is_unknown(value)
        and is_literal(value)
        and not isinstance(value, bool)
        and any(not DYNAMIC_REFERENCE.fullmatch(item) for item in strings(value) or [str(value)])
    ]


def _sections(stack: StackContext) -> list[str]:
    """The template's own sections: parameters' defaults, Outputs, Mappings, Metadata, Conditions."""
    problems = []
    for name, parameter in stack.parameters.items():
        default = parameter.get("Default")
        if not isinstance(default, str) or not default:
            continue
        if kinds := detected(default):
            problems.append(f"parameter {name} has a default detect-secrets recognises as a {kinds[0]}")
        elif parameter.get("NoEcho") in (True, "true") or (
            named_like_a_credential(name) and could_be_a_secret(default)
        ):
            problems.append(
                f"parameter {name} is a secret (NoEcho or named like one) with a default written in the template"
            )
    sections = {"Outputs": stack.outputs, "Mappings": stack.mappings, "Metadata": stack.metadata}
    sections["Conditions"] = stack.conditions
    for section, content in sections.items():
        content = {key: item for key, item in content.items() if not str(key).startswith("aws:cdk:")}
        problems += _detected_strings(content, section) + _named_credentials(content, section)
    return problems


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.type == STACK_TYPE:
        return _sections(stack) if resource.logical_id == stack.name else []
    properties = dict(resource.properties)
    literal = _schema_credentials(resource)
    problems = _detected_strings(properties) + [f"{location} is a literal value" for location in literal]
    return list(dict.fromkeys(problems + _named_credentials(properties, reported=frozenset(literal))))


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
