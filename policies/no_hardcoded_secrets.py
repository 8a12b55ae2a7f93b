"""CMP008: no secret values written into templates."""

from __future__ import annotations

import re

from policies.cfn_values import as_list, is_literal, text
from policies.deploy_time import is_unknown
from policies.model import Resource, Rule, StackContext

CREDENTIAL_NAME = re.compile(r"pass(word|wd)?|secret|token|api_?key|access_?key|private_?key|credential", re.I)
REFERENCE_NAME = re.compile(r"(_|^)(arn|id|name|path|url|uri|region)$", re.I)
"""A variable named like a credential but holding a reference (SECRET_ARN) is fine."""
CREDENTIAL_VALUE = re.compile(
    r"(AKIA|ASIA)[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY|gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-|://[^/\s:@]+:[^/\s@]+@"
)


def _variable_problems(location: str, name: str, value: object) -> list[str]:
    if is_unknown(value):
        return []  # given at deploy time: not written in the template
    literal = text(value) if is_literal(value) else None
    if not literal:
        return []
    if CREDENTIAL_VALUE.search(literal):
        return [f"{location} ({name}) holds a value that looks like a credential"]
    if CREDENTIAL_NAME.search(name) and not REFERENCE_NAME.search(name):
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


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.type == "AWS::SecretsManager::Secret":
        value = resource.properties.get("SecretString")
        written = value is not None and not is_unknown(value) and is_literal(value)
        return ["SecretString is a literal value"] if written else []
    return [problem for args in _name_value_pairs(resource) for problem in _variable_problems(*args)]


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
    resource_types=frozenset(
        {"AWS::SecretsManager::Secret", "AWS::CodeBuild::Project", "AWS::ECS::TaskDefinition", "AWS::Lambda::Function"}
    ),
)
