"""Who a role's trust policy lets assume it, evaluated as IAM does for the elements that decide it.

IAM's evaluation logic (the IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements"): a
statement applies when its Principal (or everything but its NotPrincipal) names the caller and every
condition holds. So the callers a trust policy admits are those its Allow statements' principals name,
narrowed by conditions on the caller's own identity: `aws:PrincipalAccount` and `aws:PrincipalArn`
keep only the accounts they name; `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths` and `sts:ExternalId`
keep callers of other accounts (an organisation's accounts are other accounts; an external ID is a
shared value, not an identity). A federated principal admits whoever its identity provider vouches for:
an OIDC provider's tokens are narrowed by a condition on the token's `sub` (a GitHub Actions role that
checks no `sub` is open to every repository on GitHub), never to the stack's account. A value the gate
cannot read (an SSM parameter's value, an attribute of another resource) admits a caller it cannot name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from compliance_gate.policies.cfn_values import OWN_ACCOUNT, as_list, ref_target, text

ANYONE = "*"
_ACCOUNT_IN_ARN = re.compile(r"^arn:[^:]*:[^:]*:[^:]*:(\d{12}|\$\{AWS::AccountId\}):")
_IDENTITY_TYPES = frozenset({"AWS::IAM::Role", "AWS::IAM::User"})
_NARROWING_KEYS = ("aws:principalaccount", "aws:principalarn")
"""Condition keys naming the caller's account, or its ARN (which names the account)."""
_POSITIVE_OPERATORS = re.compile(r"^(ForAnyValue:|ForAllValues:)?(StringEquals|StringLike|ArnEquals|ArnLike)$")


def admitted(document: Mapping[str, Any], local: Mapping[str, Any]) -> set[str]:
    """Every caller a trust policy admits: 12-digit accounts, `${AWS::AccountId}` for the stack's own,
    `*` for anyone, or a description of what admits callers the gate cannot name."""
    found: set[str] = set()
    for statement in as_list(document.get("Statement")):
        if isinstance(statement, dict) and statement.get("Effect") == "Allow":
            found |= _statement(statement, local)
    return found


def _statement(statement: Mapping[str, Any], local: Mapping[str, Any]) -> set[str]:
    if "NotPrincipal" in statement:
        return {ANYONE}  # everyone but the named: IAM documents it as admitting all others
    principal = statement.get("Principal")
    callers = set(_principals(principal, local)) | _federated(principal, statement.get("Condition"))
    narrowed = _narrowing(statement.get("Condition"), local)
    named = {caller for caller in callers if caller == ANYONE or _is_account(caller)}
    if narrowed is None or not named:
        return callers
    if ANYONE in named:
        kept = narrowed
    elif all(_is_account(account) for account in narrowed):
        kept = named & narrowed
    else:
        kept = named  # narrowed by a value the gate cannot read: no narrower than the principals
    return (callers - named) | kept


def _is_account(caller: str) -> bool:
    return caller == OWN_ACCOUNT or bool(re.fullmatch(r"\d{12}", caller))


def _principals(principal: Any, local: Mapping[str, Any]) -> Iterator[str]:
    if principal == ANYONE:
        yield ANYONE
        return
    if not isinstance(principal, dict):
        return
    for value in as_list(principal.get("AWS")):
        yield account_of(value, local)


def account_of(value: Any, local: Mapping[str, Any]) -> str:
    """The account an AWS principal (an account ID, an ARN, `*`) belongs to."""
    if isinstance(value, dict) and value.get("Ref") == "AWS::AccountId":
        return OWN_ACCOUNT
    target = ref_target(value)
    if target in local and (local[target] or {}).get("Type") in _IDENTITY_TYPES:
        return OWN_ACCOUNT  # a role or user of this template lives in the stack's account
    literal = text(value)
    if literal is not None and target is None:
        if literal == ANYONE or re.fullmatch(r"\d{12}|\$\{AWS::AccountId\}", literal):
            return literal
        match = _ACCOUNT_IN_ARN.match(literal)
        if match:
            return match.group(1)
    return f"a principal the gate cannot read ({value!r})"


def _federated(principal: Any, condition: Any) -> set[str]:
    """What a federated principal admits: whoever the provider vouches for, narrowed to named subjects."""
    if not isinstance(principal, dict):
        return set()
    found = set()
    for provider in as_list(principal.get("Federated")):
        name = text(provider) or repr(provider)
        host = name.split("oidc-provider/")[-1] if "oidc-provider/" in name else name
        subjects = _condition_values(condition, f"{host}:sub".lower()) if "oidc-provider/" in name else None
        subjects = {text(item) or repr(item) for item in subjects} if subjects else None
        if subjects:
            found |= {f"federated {host} subjects {', '.join(sorted(subjects))}"}
        else:
            found.add(f"federated {host} (every identity it vouches for)")
    return found


def _condition_values(condition: Any, key: str) -> list[Any] | None:
    """The values positive condition operators (StringEquals, StringLike, ArnEquals, ArnLike) allow `key`;
    None where no such operator tests it."""
    found: list[Any] | None = None
    for operator, tests in (condition or {}).items() if isinstance(condition, dict) else ():
        if not _POSITIVE_OPERATORS.match(str(operator)) or not isinstance(tests, dict):
            continue
        for name, required in tests.items():
            if str(name).lower() == key:
                found = (found or []) + as_list(required)
    return found


def _narrowing(condition: Any, local: Mapping[str, Any]) -> set[str] | None:
    """The accounts conditions on the caller's own identity leave (`aws:PrincipalAccount`,
    `aws:PrincipalArn`); None where no such condition narrows the statement."""
    result: set[str] | None = None
    for key in _NARROWING_KEYS:
        values = _condition_values(condition, key)
        if values is None:
            continue
        accounts = {account_of(value, local) for value in values}
        result = accounts if result is None else result & accounts
    return result
