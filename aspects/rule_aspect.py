"""Enforcement point 1: an Aspect that runs the catalog over every CfnResource at synthesis."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import constructs
import jsii
from constructs import IConstruct

from compliance_gate.policies.acknowledgement_records import METADATA_KEY, Acknowledgement, read
from compliance_gate.policies.evaluation import FAIL
from compliance_gate.policies.model import Resource, StackContext

if TYPE_CHECKING:
    from compliance_gate.aspects.gate import GateRun


class ComplianceAspect:
    """Annotates an error on each resource that breaks a rule, naming the rule and the fix.

    It reads the L1 model, so it cannot see property overrides, nor stacks inside a Stage: the
    validation plugin re-checks the synthesized templates for those.

    Every read of the construct tree is a call into jsii's Node process, the costly part of the
    gate. An IAspect costs one such call per construct just to be visited (0.12 s for this app's
    ~700 constructs, measured), so the gate does not visit: when CDK validates the tree (after every
    Aspect, MUTATING ones included, and after CDK's own preparation) it lists each top-level
    construct's descendants in one call, as Aspects would see them (Stages left to their own
    synthesis), and judges each stack's resources together: one call resolves all their
    properties and policies. Properties are read only for types some rule looks into, and a
    resource's path, logical ID and acknowledgements only when a rule fails.
    """

    def __init__(self, run: GateRun) -> None:
        self._run = run

    def watch(self, app: cdk.App) -> None:
        """Judge the app's stacks when the construct tree is validated."""
        app.node.add_validation(_TreeCheck(self, app))

    def check_tree(self, app: cdk.App) -> None:
        for stack, (elements, decided_later) in _by_stack(app).items():
            self.check_stack(stack, elements, decided_later)

    def check_stack(
        self, stack: cdk.Stack, elements: list[cdk.CfnResource], decided_later: list[cdk.CfnElement] = ()
    ) -> None:
        types = [_cfn_type(element) for element in elements]
        resolved = _resolve(stack, elements, [self._run.evaluator.reads_properties(t) for t in types])
        context = replace(
            _context(stack, self._run.suffix, elements, resolved),
            approved_region=self._run.region,
            **_deploy_time(stack, decided_later),
        )
        if not stack.nested:
            self._judge(
                stack, context.stack_resource(), context, lambda: read(stack.template_options.metadata, stack.node.path)
            )
        for element, resource_type, values in zip(elements, types, resolved, strict=True):
            if values is None:
                continue  # not resolvable in the L1 model: the validation plugin judges the template
            properties, options, logical_id = values
            resource = Resource(
                logical_id=logical_id,
                type=resource_type,
                properties={} if properties == _NOT_READ else properties,
                deletion_policy=_policy(options.get("deletionPolicy")),
                update_replace_policy=_policy(options.get("updateReplacePolicy")),
            )
            self._judge(element, resource, context, partial(_acknowledgements, element))

    def _judge(
        self,
        node: IConstruct,
        resource: Resource,
        context: StackContext,
        acknowledgements: Callable[[], list[Acknowledgement]],
    ) -> None:
        """Annotate what fails; a failure is worth reading the resource's path, its acknowledgements and
        its properties in CloudFormation's spelling (the messages then name `SSEAlgorithm`, as the
        plugin's do, not the L1's `sseAlgorithm`)."""
        evaluator = self._run.evaluator
        if not any(result.status == FAIL for result in evaluator.resource(resource, context)):
            return
        if isinstance(node, cdk.CfnResource):
            resource = replace(resource, path=node.node.path, properties=_template_spelling(node, resource.properties))
        for result in evaluator.resource(resource, context, acknowledgements()):
            if result.status == FAIL:
                cdk.Annotations.of(node).add_error(self._run.annotation(result))


def _template_spelling(element: cdk.CfnResource, properties: Mapping[str, Any]) -> Mapping[str, Any]:
    """The element's properties as its template has them (CloudFormation's names), or as read if
    rendering them fails."""
    if not properties or properties == _NOT_READ:
        return properties
    try:
        return element._render_properties(dict(properties)) or properties  # values are resolved already
    except (RuntimeError, TypeError):  # jsii's errors, e.g. a property the L1's validator refuses
        return properties


def _acknowledgements(element: cdk.CfnResource) -> list[Acknowledgement]:
    return read({METADATA_KEY: element.get_metadata(METADATA_KEY)}, element.node.path)


@jsii.implements(constructs.IValidation)
class _TreeCheck:
    """Runs the judgement of every stack when CDK validates the construct tree."""

    def __init__(self, judge: ComplianceAspect, app: cdk.App) -> None:
        self._judge, self._app = judge, app

    def validate(self) -> list[str]:
        self._judge.check_tree(self._app)
        return []  # violations are error annotations, so the report lists them all and synth goes on to write it


_Found = tuple[list[cdk.CfnResource], list[cdk.CfnElement]]
"""A stack's resources, and its parameters and conditions (what deploy time decides, policies.deploy_time)."""


def _by_stack(app: cdk.App) -> dict[cdk.Stack, _Found]:
    """The CfnResources, parameters and conditions of every stack outside Stages, by stack: one call
    per top-level construct lists its descendants; a resource's stack is asked for only where the
    construct holds more than one stack (nested stacks) or a Stage."""
    found: dict[cdk.Stack, _Found] = {}
    for child in app.node.children:
        if cdk.Stage in type(child).__mro__:
            continue
        nodes = [(node, type(node).__mro__) for node in child.node.find_all()]
        stages = tuple(node.node.path + "/" for node, ancestry in nodes if cdk.Stage in ancestry)
        if stages:  # synthesized, and judged, with their Stage
            nodes = [(node, ancestry) for node, ancestry in nodes if not node.node.path.startswith(stages)]
        stacks = [node for node, ancestry in nodes if cdk.Stack in ancestry]
        single = stacks == [child]
        for stack in stacks:
            found.setdefault(stack, ([], []))
        for node, ancestry in nodes:
            is_resource = cdk.CfnResource in ancestry
            if is_resource or cdk.CfnParameter in ancestry or cdk.CfnCondition in ancestry:
                resources, decided_later = found.setdefault(child if single else node.stack, ([], []))
                (resources if is_resource else decided_later).append(node)
    return found


def _resolve(stack: cdk.Stack, elements: list[cdk.CfnResource], with_properties: list[bool]) -> list[Any]:
    """[(properties, cfn options, logical ID)] per element, resolved in one call (None where resolution fails)."""
    batch = [
        [element._cfn_properties if wanted else _NOT_READ, element.cfn_options, element.logical_id]
        for element, wanted in zip(elements, with_properties, strict=True)
    ]
    try:
        resolved = stack.resolve(batch)
    except (RuntimeError, TypeError):
        resolved = [_resolve_one(stack, values) for values in batch]
    return [None if values is None else (_CaseInsensitive.of(values[0]), values[1], values[2]) for values in resolved]


def _deploy_time(stack: cdk.Stack, elements: list[cdk.CfnElement]) -> dict[str, dict[str, Any]]:
    """The stack's Parameters and Conditions sections, read in one call (there are rarely any)."""
    if not elements:
        return {}
    batch = [
        {
            "Id": element.logical_id,
            "Type": element.type,
            "Default": element.default,
            "AllowedValues": element.allowed_values,
        }
        if cdk.CfnParameter in type(element).__mro__
        else {"Id": element.logical_id, "Condition": element.expression}
        for element in elements
    ]  # mappings, as `resolve` drops None from lists
    parameters, conditions = {}, {}
    for entry in stack.resolve(batch):
        logical_id = entry.pop("Id")
        if "Type" in entry:
            parameters[logical_id] = entry
        else:
            conditions[logical_id] = entry.get("Condition")
    return {"parameters": parameters, "conditions": conditions}


def _resolve_one(stack: cdk.Stack, values: list[Any]) -> list[Any] | None:
    try:
        return stack.resolve(values)
    except (RuntimeError, TypeError):
        return None


def _policy(value: Any) -> Any:
    """A DeletionPolicy or UpdateReplacePolicy as the template has it: a word, or an intrinsic (Fn::If)."""
    return value if value is None or isinstance(value, dict) else str(value)


_TYPES: dict[type, str] = {}
_NOT_READ = "(properties not read: no rule looks into this type)"
"""Stands in for the properties of a type no rule looks into (`resolve` drops None from lists)."""


def _cfn_type(element: cdk.CfnResource) -> str:
    """An L1 class names its CloudFormation type once for all its instances; a raw CfnResource its own."""
    cls = type(element)
    if cls not in _TYPES:
        name = getattr(cls, "CFN_RESOURCE_TYPE_NAME", None)
        if not isinstance(name, str):
            return element.cfn_resource_type
        _TYPES[cls] = name
    return _TYPES[cls]


def _context(stack: cdk.Stack, suffix: str, elements: list[cdk.CfnResource], resolved: list[Any]) -> StackContext:
    def known(value: str) -> str | None:
        return None if cdk.Token.is_unresolved(value) else value

    path = stack.node.path
    return StackContext(
        name=path if stack.nested else stack.stack_name,
        suffix=suffix,
        account=known(stack.account),
        region=known(stack.region),
        termination_protection=bool(stack.termination_protection),
        path=path,
        resources=_stack_resources(stack, elements, resolved),
    )


class _CaseInsensitive(dict):
    """Resolved L1 properties, whose keys are the CloudFormation names in camelCase (`sseAlgorithm`),
    read by the CloudFormation name (`SSEAlgorithm`): the two differ only in case. Rendering them
    into the template's spelling would cost one more call into jsii per resource."""

    @classmethod
    def of(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return cls({key: cls.of(item) for key, item in value.items()})
        if isinstance(value, list):
            return [cls.of(item) for item in value]
        return value

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(values)
        self._lower = {key.lower(): key for key in values}

    def _key(self, key: object) -> object:
        return self._lower.get(key.lower(), key) if isinstance(key, str) else key

    def __getitem__(self, key: object) -> Any:
        return super().__getitem__(self._key(key))

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._key(key))

    def get(self, key: object, default: Any = None) -> Any:
        return super().get(self._key(key), default)


def _stack_resources(stack: cdk.Stack, elements: list[cdk.CfnResource], resolved: list[Any]) -> dict[str, _Body]:
    """A stack's resources by logical ID, for rules that follow a reference: the properties of a type no
    rule reads are resolved only if a rule follows a reference to it (an attached policy, a bucket's
    auto-delete custom resource)."""
    return {
        values[2]: _Body(stack, element, None if values[0] == _NOT_READ else values[0])
        for element, values in zip(elements, resolved, strict=True)
        if values is not None
    }


class _Body(Mapping[str, Any]):
    """One resource as a template has it (Type, Properties), its properties resolved when first read."""

    def __init__(self, stack: cdk.Stack, element: cdk.CfnResource, properties: Any) -> None:
        self._stack, self._element, self._properties = stack, element, properties

    def __getitem__(self, key: str) -> Any:
        if key == "Type":
            return _cfn_type(self._element)
        if key == "Properties":
            if self._properties is None:
                self._properties = _CaseInsensitive.of(
                    _resolve_one(self._stack, [self._element._cfn_properties]) or [{}]
                )
                self._properties = self._properties[0] if isinstance(self._properties, list) else self._properties
            return self._properties
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(("Type", "Properties"))

    def __len__(self) -> int:
        return 2
