"""What the CloudFormation resource schemas say about protection and credentials, per resource type.

Read from the us-east-1 resource schemas cfn-lint ships (`python -m policies.schema_facts`
regenerates schema_facts.json; tests/test_schema_families.py checks it is current and plants a
violation through every property it lists):

- protection: every property, at any depth, that switches on deletion or termination protection:
  named so (`DeletionProtection`, `DeleteProtection`, `TerminationProtected`, `DisableApiTermination`)
  or described so ("deletion protection", "termination protection"), whatever its value's shape.
- protected_by_default: the protection properties that are on when a template leaves them out: their
  schema default is on (`"default": true`), or their description says so ("the default value is true").
- s3_encryption: for every S3 product's type (S3, S3 Express, Tables, Vectors, Outposts, Files, Storage
  Lens), the properties that choose an encryption algorithm (an enumeration holding AES256) and those
  that name a KMS key (`KMSMasterKeyID`, `KmsKeyArn`, `ReplicaKmsKeyID`, Storage Lens' `SSEKMS`).
- names: how CloudFormation spells the property names whose L1 spelling differs from it by more than
  the first letter (`SSEAlgorithm` is `sseAlgorithm` in an L1, `KMSMasterKeyID` `kmsMasterKeyId`), so
  the Aspects read an L1's properties under the names the rules and the templates use.
- credentials: every write-only property (CloudFormation never returns it) named like a credential
  (`MasterUserPassword`, an EventBridge connection's `ApiKeyValue`, `AuthToken`, `PrivateKey`), less
  the ones that only name or configure one (`...Arn`, `...SecretConfig`, `ManageMasterPassword`) and
  idempotency tokens (`ClientToken`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

GENERATED = Path(__file__).with_name("schema_facts.json")
PROTECTION_NAME = re.compile(
    r"(delet|terminat)\w*protect|protect\w*(delet|terminat)|disableapiterminat|terminationprotected", re.I
)
PROTECTION_DESCRIPTION = re.compile(r"(deletion|termination) protection", re.I)
CREDENTIAL_NAME = re.compile(
    r"password|passphrase|secret(key|token)?$|clientsecret|sharedsecret|token$|apikey(value)?$|accesskey$|"
    r"privatekey$|credentials?$|^secretstring$",
    re.I,
)
NOT_A_CREDENTIAL = re.compile(
    r"(arn|id|name|config|configuration|source|kms\w*|manage\w*|rotate\w*)$|^clienttoken$", re.I
)
_MAX_DEPTH = 10


def _properties(schema: dict[str, Any], node: Any, path: str, seen: frozenset[str], depth: int = 0) -> Iterator:
    """(path, name, definition) of every property below `node`, `$ref`s followed once per branch."""
    if depth > _MAX_DEPTH or not isinstance(node, dict):
        return
    if "$ref" in node:
        reference = node["$ref"]
        if reference in seen or not reference.startswith("#/"):
            return
        target: Any = schema
        for part in reference[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        yield from _properties(schema, target, path, seen | {reference}, depth + 1)
        return
    for name, definition in (node.get("properties") or {}).items():
        location = f"{path}.{name}" if path else name
        yield location, name, definition
        yield from _properties(schema, definition, location, seen, depth + 1)
    if "items" in node:
        yield from _properties(schema, node["items"], f"{path}[]", seen, depth + 1)
    for combinator in ("oneOf", "anyOf", "allOf"):
        for option in node.get(combinator) or ():
            yield from _properties(schema, option, path, seen, depth + 1)


_DEFAULT_ON = re.compile(r"default(?: value)? is (?:``)?(true|enabled)", re.I)


def _protected_by_default(schema: dict[str, Any], paths: list[str]) -> list[str]:
    found = []
    for location, _, definition in _properties(schema, schema, "", frozenset()):
        if location in paths and "." not in location and isinstance(definition, dict):
            default = definition.get("default")
            if (
                default is True
                or str(default).lower() in ("true", "enabled")
                or _DEFAULT_ON.search(definition.get("description", ""))
            ):
                found.append(location)
    return sorted(set(found))


def _protection(schema: dict[str, Any]) -> list[str]:
    found = set()
    for location, name, definition in _properties(schema, schema, "", frozenset()):
        description = definition.get("description", "") if isinstance(definition, dict) else ""
        if name == "Key" and location.endswith("Attributes[].Key"):
            continue  # a load balancer's attribute name: its value is judged with the attribute
        if PROTECTION_NAME.search(name) or PROTECTION_DESCRIPTION.search(description):
            found.add(location)
    return sorted(found)


KMS_KEY_NAME = re.compile(r"^(kms\w*key\w*|replicakmskeyid|ssekms)$", re.I)


def _s3_encryption(schema: dict[str, Any]) -> dict[str, list[str]]:
    algorithms, keys = set(), set()
    for location, name, definition in _properties(schema, schema, "", frozenset()):
        if isinstance(definition, dict) and "AES256" in (definition.get("enum") or ()):
            algorithms.add(location)
        elif KMS_KEY_NAME.match(name):
            keys.add(location)
    return {"algorithms": sorted(algorithms), "keys": sorted(keys)} if algorithms or keys else {}


def _credentials(schema: dict[str, Any]) -> list[str]:
    kinds = {location: definition for location, _, definition in _properties(schema, schema, "", frozenset())}
    found = []
    for pointer in schema.get("writeOnlyProperties") or ():
        parts = pointer.split("/")[2:]
        location = ".".join(part if part != "*" else "[]" for part in parts).replace(".[]", "[]")
        definition = kinds.get(location)
        flag = isinstance(definition, dict) and definition.get("type") == "boolean"
        if CREDENTIAL_NAME.search(parts[-1]) and not NOT_A_CREDENTIAL.search(parts[-1]) and not flag:
            found.append(location)
    return sorted(found)


def _spellings(names: dict[str, dict[str, set[str]]]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The spellings an L1's camelCase cannot be turned back into by capitalising its first letter: those
    with two capitals in a row (`SSEAlgorithm`); one for every place where they agree, else by type and the
    property holding them (a bucket's SSEAlgorithm under ServerSideEncryptionByDefault, SseAlgorithm under
    a metadata table's EncryptionConfiguration)."""
    everywhere: dict[str, str] = {}
    by_type: dict[str, dict[str, str]] = {}
    for lower, spellings in sorted(names.items()):
        if not any(re.search(r"[A-Z]{2}", name) for name in spellings):
            continue
        if len(spellings) == 1:
            everywhere[lower] = next(iter(spellings))
            continue
        for name, places in sorted(spellings.items()):
            for place in sorted(places):
                resource_type, parent = place.split(" ")
                by_type.setdefault(resource_type, {})[f"{parent}.{lower}"] = name
    return everywhere, by_type


def generate(schemas: Path) -> dict[str, Any]:
    """Protection and credential property paths by type, from the us-east-1 schemas in `schemas`."""
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    facts: dict[str, Any] = {"protection": {}, "protected_by_default": {}, "credentials": {}, "s3_encryption": {}}
    facts["types"] = sorted(index)
    names: dict[str, dict[str, set[str]]] = {}
    for resource_type, digest in sorted(index.items()):
        schema = json.loads((schemas / "resources" / f"{digest}.json").read_text())
        for kind, read in (("protection", _protection), ("credentials", _credentials)):
            if paths := read(schema):
                facts[kind][resource_type] = paths
        if on := _protected_by_default(schema, facts["protection"].get(resource_type, [])):
            facts["protected_by_default"][resource_type] = on
        if resource_type.split("::")[1].startswith("S3") and (encryption := _s3_encryption(schema)):
            facts["s3_encryption"][resource_type] = encryption
        for location, name, _ in _properties(schema, schema, "", frozenset()):
            parent = location.removesuffix(name).rstrip(".").removesuffix("[]").rpartition(".")[2].lower()
            names.setdefault(name.lower(), {}).setdefault(name, set()).add(f"{resource_type} {parent}")
    facts["names"], facts["names_by_type"] = _spellings(names)
    return facts


@cache
def facts() -> dict[str, Any]:
    return json.loads(GENERATED.read_text())


@cache
def _types() -> frozenset[str]:
    return frozenset(facts()["types"])


def known_type(resource_type: str) -> bool:
    """Whether the resource schemas define the type (its protection properties are then known)."""
    return resource_type in _types()


def cloudformation_name(key: str, resource_type: str, parent: str = "") -> str:
    """A property name of `resource_type` as CloudFormation spells it, from its L1 spelling (`sseAlgorithm`
    -> `SSEAlgorithm`); `parent`: the property holding it, as CloudFormation spells it ("" at the top)."""
    if not key[:1].islower():
        return key
    lower, known = key.lower(), facts()
    spelled = known["names_by_type"].get(resource_type, {}).get(f"{parent.lower()}.{lower}") or known["names"].get(
        lower
    )
    return spelled or key[0].upper() + key[1:]


def s3_encryption() -> dict[str, dict[str, list[str]]]:
    """S3 products' types -> the paths of their encryption algorithm and KMS key properties."""
    return facts()["s3_encryption"]


def protected_by_default(resource_type: str) -> list[str]:
    """Top-level protection properties that are on unless the template says otherwise."""
    return facts()["protected_by_default"].get(resource_type, [])


def protection_paths(resource_type: str) -> list[str]:
    return facts()["protection"].get(resource_type, [])


def credential_paths(resource_type: str) -> list[str]:
    return facts()["credentials"].get(resource_type, [])


def values_at(properties: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(location, value) of every value a schema path (`A.B[].C`) reaches in a resource's properties."""
    steps = [step for step in re.split(r"\.|(?=\[\])", path) if step]
    found: list[tuple[str, Any]] = [("", properties)]
    for step in steps:
        following = []
        for location, value in found:
            if step == "[]":
                items = value if isinstance(value, list) else []
                following += [(f"{location}[{index}]", item) for index, item in enumerate(items)]
            elif isinstance(value, dict) and step in value:
                following.append((f"{location}.{step}" if location else step, value[step]))
        found = following
    yield from found


if __name__ == "__main__":
    import cfnlint

    data = generate(Path(cfnlint.__file__).parent / "data" / "schemas")
    GENERATED.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"{GENERATED}: {len(data['protection'])} types with protection, {len(data['credentials'])} with credentials")
