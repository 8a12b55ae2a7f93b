"""Enforcement point 1: the design card's custom CDK Aspects, one per rule of the catalog.

Each is an `IAspect` whose `visit` judges the construct it is given with its rule's own function and
annotates an error on that construct for each violation (the construct path, the rule and the fix):
an L1 resource by its properties and policies, a stack by its name, region, protection and sections.
Apply one alone to any scope, at `AspectPriority.READONLY` so it sees what MUTATING Aspects did:

    Aspects.of(stack).add(SseS3Only(suffix="dev"), priority=AspectPriority.READONLY)

`apply_gate` adds `CatalogAspect`, all the rules in one visit per construct (a pack, as cdk-nag's
are), beside the validation plugin, which judges the synthesized templates: what an Aspect cannot
see through aws-cdk-lib's public API (property overrides, a raw `CfnResource`'s properties, stacks
inside a Stage, what synthesis adds) is the plugin's.

The Aspects read only public members: `CfnResource.cfn_resource_type`, `cfn_options`, `logical_id`,
`get_metadata`, an L1's `inspect(TreeInspector)` (the properties CDK writes into tree.json), and
`Stack.resolve`, `stack_name`, `environment`, `termination_protection`, `nested`, `template_options`.
A stack's resources are read in one batch when its first construct is visited (every jsii call is a
round trip to Node, the gate's main cost); the L1 property names (camelCase) are spelled as
CloudFormation spells them, so messages read the same at every enforcement point.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from constructs import IConstruct

from compliance_gate.aspects.messages import describe
from compliance_gate.policies.acknowledgement_records import ACCEPTED, METADATA_KEY, read
from compliance_gate.policies.assembly import account_and_region
from compliance_gate.policies.catalog import RULES, RULES_BY_ID
from compliance_gate.policies.cfn_values import as_list
from compliance_gate.policies.evaluation import ACKNOWLEDGED, FAIL, Evaluator, Result
from compliance_gate.policies.model import (
    DEFAULT_REGION,
    STACK_TYPE,
    Resource,
    Rule,
    StackContext,
    is_custom_resource,
)
from compliance_gate.policies.rules.destroyable import AUTO_DELETE
from compliance_gate.policies.schema_facts import cloudformation_name

if TYPE_CHECKING:
    from compliance_gate.aspects.gate import GateRun

_PROPS = "aws:cdk:cloudformation:props"


@jsii.implements(cdk.IAspect)
class RuleAspect:
    """Judges each construct it visits with its rules and annotates an error on it for each violation."""

    RULE_IDS: tuple[str, ...] = ()
    """The rules a subclass enforces (one, for the design card's Aspects)."""

    def __init__(
        self,
        *,
        suffix: str,
        region: str = DEFAULT_REGION,
        today: dt.date | None = None,
        rules: tuple[Rule, ...] | None = None,
        run: GateRun | None = None,
    ) -> None:
        self.rules = rules or tuple(RULES_BY_ID[rule_id] for rule_id in self.RULE_IDS)
        self._evaluator = Evaluator(rules=self.rules, today=today or dt.date.today())
        self._suffix, self._region, self._run = suffix, region, run
        self._stacks: dict[str, _StackModel] = {}

    def visit(self, node: IConstruct) -> None:
        ancestry = type(node).__mro__
        if cdk.CfnResource in ancestry:
            path = node.node.path
            model = self._model_of(node, path)
            resource = model.read(node, path)
            if resource is not None:
                self._judge(node, resource, model)
        elif cdk.Stack in ancestry:
            path = node.node.path
            model = self._stacks.get(path) or self._read(node, path)
            self._judge(node, model.context.stack_resource(), model)

    def _model_of(self, node: cdk.CfnResource, path: str) -> _StackModel:
        """The model of the resource's stack: the innermost stack read so far whose path holds it (Aspects
        visit a stack before what it holds), else its stack, read now (the Aspect was given a scope below it)."""
        holding = [stack for stack in self._stacks if path.startswith(f"{stack}/")]
        if holding:
            return self._stacks[max(holding, key=len)]
        stack = node.stack
        return self._read(stack, stack.node.path)

    def _read(self, stack: cdk.Stack, path: str) -> _StackModel:
        self._stacks[path] = _StackModel.of(stack, path, self._suffix, self._region)
        return self._stacks[path]

    def _judge(self, node: IConstruct, resource: Resource, model: _StackModel) -> None:
        """Judge; only a resource that fails is worth reading its logical ID and acknowledgements for (and is
        judged again with them: a rule that finds other resources by this one's logical ID then sees them)."""
        evaluator, context = self._evaluator, model.context
        results = evaluator.resource(resource, context)
        if not any(result.status == FAIL for result in results):
            if self._run is not None and _verdict_travels(resource):
                self._run.passed[resource.path] = (resource, results)
            return
        if resource.type == STACK_TYPE and resource.logical_id == context.name:
            acknowledgements = read(context.metadata, context.path)
        else:
            resource = replace(resource, logical_id=model.stack.resolve(node.logical_id))
            metadata = {METADATA_KEY: node.get_metadata(METADATA_KEY)}
            acknowledgements = read(metadata, resource.path, (context.path, resource.logical_id))
        for result in evaluator.resource(resource, context, acknowledgements):
            if result.status == FAIL:
                cdk.Annotations.of(node).add_error(self._annotation(result, node))
            elif result.status == ACKNOWLEDGED:
                ACCEPTED.add((context.path, resource.logical_id, result.rule_id))

    def _annotation(self, result: Result, node: IConstruct) -> str:
        if self._run is not None:
            return self._run.annotation(result, node)
        return describe(next(rule for rule in self.rules if rule.id == result.rule_id), result, with_path=False)


_ON_OTHER_RESOURCES = frozenset(
    {
        "AWS::S3::Bucket",
        "AWS::Backup::BackupVault",
        "AWS::CodePipeline::Pipeline",
        "AWS::CodeBuild::Project",
        "AWS::IAM::Role",
        STACK_TYPE,
    }
)
"""Types whose verdicts depend on other resources' properties (which the Aspects read only as the stack
had them when visited) or on nested templates (which only the plugin reads)."""


def _verdict_travels(resource: Resource) -> bool:
    """Whether a pass holds for the same resource in the synthesized template: it depends on nothing the
    Aspects read otherwise than the plugin (other resources' properties, mappings, nested templates)."""
    return (
        resource.type not in _ON_OTHER_RESOURCES
        and not is_custom_resource(resource.type)
        and "Fn::FindInMap" not in json.dumps(resource.properties, default=str)
    )


class CatalogAspect(RuleAspect):
    """Every rule of the catalog in one visit per construct (`apply_gate` adds it)."""

    RULE_IDS = tuple(rule.id for rule in RULES)


class DestroyRemovalPolicies(RuleAspect):
    """CMP001: every resource can be destroyed with its stack (no Retain, Snapshot or protection)."""

    RULE_IDS = ("CMP001",)


class SseS3Only(RuleAspect):
    """CMP002: S3 uses SSE-S3 (AES256) only."""

    RULE_IDS = ("CMP002",)


class NoncurrentExpiry90Days(RuleAspect):
    """CMP003: versioned buckets expire noncurrent versions after 90 days."""

    RULE_IDS = ("CMP003",)


class SmallBuildCompute(RuleAspect):
    """CMP004: CodeBuild runs on BUILD_GENERAL1_SMALL."""

    RULE_IDS = ("CMP004",)


class EnvironmentSuffixNaming(RuleAspect):
    """CMP005: names follow resource-type-environment-suffix."""

    RULE_IDS = ("CMP005",)


class DenyTerminateInstances(RuleAspect):
    """CMP006: roles others can assume explicitly deny ec2:TerminateInstances."""

    RULE_IDS = ("CMP006",)


class ApprovedRegionOnly(RuleAspect):
    """CMP007: stacks deploy to the approved region, and nothing reaches another."""

    RULE_IDS = ("CMP007",)


class NoHardcodedSecrets(RuleAspect):
    """CMP008: no secret values written into templates."""

    RULE_IDS = ("CMP008",)


class ReadableDeployments(RuleAspect):
    """CMP009: the gate can read everything the stack deploys."""

    RULE_IDS = ("CMP009",)


RULE_ASPECTS: dict[str, type[RuleAspect]] = {
    aspect.RULE_IDS[0]: aspect
    for aspect in (
        DestroyRemovalPolicies,
        SseS3Only,
        NoncurrentExpiry90Days,
        SmallBuildCompute,
        EnvironmentSuffixNaming,
        DenyTerminateInstances,
        ApprovedRegionOnly,
        NoHardcodedSecrets,
        ReadableDeployments,
    )
}


def rule_aspect(rule_id: str, *, suffix: str, region: str = DEFAULT_REGION, today: dt.date | None = None) -> RuleAspect:
    """A fresh instance of the Aspect that enforces `rule_id` alone."""
    if rule_id not in RULE_ASPECTS:
        raise KeyError(f"no Aspect enforces {rule_id!r}; the catalog's rules are {', '.join(RULE_ASPECTS)}")
    return RULE_ASPECTS[rule_id](suffix=suffix, region=region, today=today)


@dataclass
class _StackModel:
    """A stack as its Aspects read it: the context the rules need, read in one batch when the stack is
    visited, and the stack itself, which resolves its resources' tokens."""

    stack: cdk.Stack
    context: StackContext

    @classmethod
    def of(cls, stack: cdk.Stack, stack_path: str, suffix: str, region: str) -> _StackModel:
        """One listing of the stack's constructs and one `resolve` of its parameters, conditions and the
        resources that rules follow references to (a policy's roles, a bucket's auto-delete custom resource),
        the others by type and logical ID only; what other stacks inside it hold is theirs."""
        kinds = {cdk.CfnResource, cdk.CfnParameter, cdk.CfnCondition, cdk.Stack}
        found = [(node, ancestry) for node in stack.node.find_all() if kinds & set(ancestry := type(node).__mro__)]
        inner = [node.node.path for node, ancestry in found if cdk.Stack in ancestry]
        if inner := tuple(f"{path}/" for path in inner if path != stack_path):
            found = [(node, ancestry) for node, ancestry in found if not node.node.path.startswith(inner)]
        batch = {
            "resources": [_followed(node) for node, ancestry in found if cdk.CfnResource in ancestry],
            "parameters": [_parameter(node) for node, ancestry in found if cdk.CfnParameter in ancestry],
            "conditions": [_condition(node) for node, ancestry in found if cdk.CfnCondition in ancestry],
            "metadata": stack.template_options.metadata or {},
        }
        resolved = stack.resolve(batch)
        account, stack_region = account_and_region(stack.environment)
        context = StackContext(
            name=stack_path if stack.nested else stack.stack_name,
            suffix=suffix,
            account=account,
            region=stack_region,
            termination_protection=bool(stack.termination_protection),
            path=stack_path,
            resources={
                entry["LogicalId"]: {
                    "Type": entry["Type"],
                    "Properties": _cloudformation_spelling(entry.get("Properties") or {}, entry["Type"]),
                }
                for entry in resolved.get("resources", [])
            },
            parameters={entry.pop("Id"): entry for entry in resolved.get("parameters", [])},
            conditions={entry["Id"]: entry.get("Condition") for entry in resolved.get("conditions", [])},
            metadata=resolved.get("metadata") or {},
            transforms=tuple(as_list(stack.template_options.transforms)),
            approved_region=region,
        )
        return cls(stack, context)

    def read(self, node: cdk.CfnResource, path: str) -> Resource | None:
        """The resource as it is now (after the Aspects of lower priority visited it), its logical ID left to
        `_judge`; None for a raw CfnResource, whose properties no public member shows."""
        properties = _properties(node)
        if properties is None:
            return None
        resource_type = _type(node)
        if _holds_tokens(properties):
            values = self.stack.resolve({"Properties": properties, "Options": node.cfn_options})
        else:  # nothing to resolve but the options: the properties need not travel to Node and back
            values = {"Properties": properties, **self.stack.resolve({"Options": node.cfn_options})}
        options = values.get("Options") or {}
        return Resource(
            logical_id="",
            type=resource_type,
            properties=_cloudformation_spelling(values.get("Properties") or {}, resource_type),
            deletion_policy=_policy(options.get("deletionPolicy")),
            update_replace_policy=_policy(options.get("updateReplacePolicy")),
            path=path,
        )


_TOKEN_MARKS = ("${Token[", "#{Token[")
_NUMBER_TOKENS = 1e280
"""CDK encodes a token as a string with one of these marks, or as a number of enormous magnitude."""


def _holds_tokens(value: Any) -> bool:
    if isinstance(value, str):
        return any(mark in value for mark in _TOKEN_MARKS)
    if isinstance(value, dict):
        return any(_holds_tokens(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_tokens(item) for item in value)
    return isinstance(value, float) and abs(value) > _NUMBER_TOKENS


_FOLLOWED = frozenset(
    {
        "AWS::S3::Bucket",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::RolePolicy",
        "AWS::Backup::BackupPlan",
        "AWS::CodeBuild::Fleet",
    }
)
"""Types whose properties a rule reads when another resource refers to them; of the others a rule needs
only the type (a role of the stack) and the logical ID."""
_INSPECTOR = cdk.TreeInspector()


def _properties(node: cdk.CfnResource) -> Any:
    """An L1's properties as CDK writes them into tree.json (tokens unresolved), or None for a raw
    CfnResource, which does not inspect itself."""
    if not hasattr(node, "inspect"):
        return None
    node.inspect(_INSPECTOR)
    return _INSPECTOR.attributes.get(_PROPS) or {}


def _followed(node: cdk.CfnResource) -> dict[str, Any]:
    entry: dict[str, Any] = {"Type": _type(node), "LogicalId": node.logical_id}
    if entry["Type"] in _FOLLOWED:
        entry["Properties"] = _properties(node)
    if entry["Type"] == AUTO_DELETE:
        entry["Properties"] = _emptied_bucket(node)
    return entry


def _emptied_bucket(custom_resource: cdk.CfnResource) -> dict[str, Any]:
    """The properties of the custom resource `s3.Bucket(auto_delete_objects=True)` adds: a raw CfnResource,
    whose properties no public member shows, made by `cdk.CustomResource` in the bucket construct, beside
    the bucket's L1 (its `Resource`), which it names as BucketName."""
    bucket = custom_resource.node.scope.node.scope.node.try_find_child("Resource")
    return {"BucketName": {"Ref": bucket.logical_id}} if isinstance(bucket, cdk.CfnResource) else {}


def _parameter(node: cdk.CfnParameter) -> dict[str, Any]:
    return {"Id": node.logical_id, "Type": node.type, "Default": node.default, "AllowedValues": node.allowed_values}


def _condition(node: cdk.CfnCondition) -> dict[str, Any]:
    return {"Id": node.logical_id, "Condition": node.expression}


_TYPES: dict[type, str] = {}


def _type(node: cdk.CfnResource) -> str:
    """An L1 class names its CloudFormation type once for all its instances; a raw CfnResource its own."""
    cls = type(node)
    if cls not in _TYPES:
        name = getattr(cls, "CFN_RESOURCE_TYPE_NAME", None)
        if not isinstance(name, str):
            return node.cfn_resource_type
        _TYPES[cls] = name
    return _TYPES[cls]


def _policy(value: Any) -> Any:
    """A DeletionPolicy or UpdateReplacePolicy as the template has it: a word, or an intrinsic (Fn::If)."""
    return value if value is None or isinstance(value, dict) else str(value)


def _cloudformation_spelling(value: Any, resource_type: str, parent: str = "") -> Any:
    """L1 properties (`bucketEncryption.serverSideEncryptionConfiguration[].sseAlgorithm`) with the names
    CloudFormation gives them (`BucketEncryption...SSEAlgorithm`); intrinsics and free-form JSON keep theirs."""
    if isinstance(value, list):
        return [_cloudformation_spelling(item, resource_type, parent) for item in value]
    if not isinstance(value, Mapping) or _intrinsic(value):
        return value
    spelled = {}
    for key, item in value.items():
        name = cloudformation_name(key, resource_type, parent)
        spelled[name] = _cloudformation_spelling(item, resource_type, name)
    return spelled


def _intrinsic(value: Mapping[str, Any]) -> bool:
    return (len(value) == 1 and next(iter(value)) in ("Ref", "Condition")) or str(next(iter(value), "")).startswith(
        "Fn::"
    )
